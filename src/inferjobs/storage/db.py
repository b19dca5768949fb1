"""The database handle: engine set-up for SQLite and PostgreSQL, read and write transactions."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DataError, DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from inferjobs.config import Settings
from inferjobs.errors import BadRequest, ServiceUnavailable


def now_ms() -> int:
    return int(time.time() * 1000)


class Database:
    """One engine per process. `write()` takes SQLite's write lock up front (BEGIN IMMEDIATE)."""

    def __init__(self, url: str, *, pool_size: int = 10, busy_timeout_ms: int = 30_000) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.engine = _create_engine(url, pool_size, busy_timeout_ms)

    @classmethod
    def from_settings(cls, settings: Settings) -> Database:
        if settings.database_url.startswith("sqlite"):
            settings.data_dir.mkdir(parents=True, exist_ok=True)
        return cls(
            settings.database_url,
            pool_size=settings.database.pool_size,
            busy_timeout_ms=settings.database.sqlite_busy_timeout_ms,
        )

    @contextmanager
    def read(self) -> Iterator[Connection]:
        with _unavailable_on_disconnect(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def write(self) -> Iterator[Connection]:
        with _unavailable_on_disconnect(), self.engine.connect() as conn:
            conn = conn.execution_options(immediate=True)
            with conn.begin():
                yield conn

    def ping(self) -> None:
        with self.read() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


@contextmanager
def _unavailable_on_disconnect() -> Iterator[None]:
    """Database errors a caller can act on: 503 when it is unreachable or saturated, 400 when
    a value from the request cannot be stored (a NUL character, a number out of range)."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        if exc.connection_invalidated or _is_connection_error(exc):
            raise ServiceUnavailable("the database is unavailable, retry shortly") from exc
        raise
    except PoolTimeout as exc:
        raise ServiceUnavailable("the database is busy: no connection is free, retry") from exc
    except (DataError, OverflowError) as exc:
        reason = str(getattr(exc, "orig", exc)).splitlines()[0]
        raise BadRequest(f"a value in the request cannot be stored: {reason}") from exc


def _is_connection_error(exc: DBAPIError) -> bool:
    message = str(exc.orig).lower()
    return any(
        word in message for word in ("connection", "server closed", "terminating", "shutting down")
    )


def _create_engine(url: str, pool_size: int, busy_timeout_ms: int) -> Engine:
    if not url.startswith("sqlite"):
        return create_engine(url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
