"""The database handle: engine set-up for SQLite and PostgreSQL, read and write transactions."""

from __future__ import annotations

import select
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from contextvars import ContextVar
from types import TracebackType
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import (
    DataError,
    DBAPIError,
    DisconnectionError,
    InterfaceError,
    OperationalError,
)
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
        self._scope: ContextVar[_Scope | None] = ContextVar(f"read-scope-{id(self)}", default=None)

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
        """A read transaction; inside `read_scope()`, the scope's shared one."""
        scope = self._scope.get()
        if scope is not None:
            with _unavailable_on_disconnect():
                yield scope.connection()
            return
        with _unavailable_on_disconnect(), self.engine.connect() as conn, conn.begin():
            yield conn

    @contextmanager
    def read_scope(self) -> Iterator[None]:
        """Every `read()` within (in this thread or context) shares one connection and
        transaction, opened at the first read: a request pays one checkout and one commit.
        A `write()` within ends the shared transaction, so that later reads see the write
        (SQLite reads from the snapshot its transaction began with)."""
        scope = _Scope(self.engine)
        token = self._scope.set(scope)
        try:
            with _unavailable_on_disconnect(), scope:
                yield
        finally:
            self._scope.reset(token)

    @contextmanager
    def write(self) -> Iterator[Connection]:
        scope = self._scope.get()
        if scope is not None:
            with _unavailable_on_disconnect():
                scope.end()
        with _unavailable_on_disconnect(), self.engine.connect() as conn:
            conn = conn.execution_options(immediate=True)
            with conn.begin():
                yield conn

    def ping(self) -> None:
        with self.read() as conn:
            conn.execute(text("SELECT 1"))

    def dispose(self) -> None:
        self.engine.dispose()


class _Scope:
    """The shared read transaction of `Database.read_scope()`, opened when first needed."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._open: ExitStack | None = None
        self._conn: Connection | None = None

    def connection(self) -> Connection:
        if self._conn is None:
            with ExitStack() as stack:
                conn = stack.enter_context(self.engine.connect())
                stack.enter_context(conn.begin())
                self._open, self._conn = stack.pop_all(), conn
        return self._conn

    def end(self) -> None:
        """Commit and give the connection back; a later read opens another."""
        self.__exit__(None, None, None)

    def __enter__(self) -> _Scope:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self._open is not None:
            opened, self._open, self._conn = self._open, None, None
            opened.__exit__(kind, exc, trace)


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


def _refuse_closed(dbapi_conn: Any, _record: Any, _proxy: Any) -> None:
    """Replace a pooled PostgreSQL connection the server has closed (a restart, a terminated
    backend) before it is used. An idle connection has nothing to read unless the server
    closed it or said why it will, so one poll of its socket does what a ping round trip
    would; the pool retries the checkout with a new connection."""
    import psycopg

    try:
        readable, _, _ = select.select([dbapi_conn.fileno()], [], [], 0)
    except (OSError, ValueError, psycopg.Error):
        readable = [True]
    if readable:
        raise DisconnectionError("the database server closed this connection")


def _create_engine(url: str, pool_size: int, busy_timeout_ms: int) -> Engine:
    if not url.startswith("sqlite"):
        pg = create_engine(url, pool_size=pool_size, max_overflow=pool_size)
        event.listen(pg, "checkout", _refuse_closed)
        return pg
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
