"""JDBC sources: a read-only SELECT on PostgreSQL, MySQL/MariaDB or SQLite; one row, one item.

JDBC URLs are translated to Python drivers (psycopg, PyMySQL, sqlite3). The query must be a
single SELECT (or WITH ... SELECT); it runs in a read-only transaction with a statement timeout
and its rows are streamed with a server-side cursor.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import URL, Engine
from sqlalchemy.exc import SQLAlchemyError

from inferjobs.errors import BadRequest, ItemError
from inferjobs.sources import fields
from inferjobs.sources.network import HostPolicy

DRIVERS = {
    "postgresql": ("org.postgresql.Driver",),
    "mysql": ("com.mysql.cj.jdbc.Driver", "com.mysql.jdbc.Driver", "org.mariadb.jdbc.Driver"),
    "mariadb": ("org.mariadb.jdbc.Driver", "com.mysql.cj.jdbc.Driver", "com.mysql.jdbc.Driver"),
    "sqlite": ("org.sqlite.JDBC",),
}
DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306, "mariadb": 3306}
_COMMENTS = re.compile(r"--[^\n]*|/\*.*?\*/", re.DOTALL)
_STRINGS = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|`[^`]*`")


@dataclass(frozen=True)
class Target:
    dialect: str  # postgresql, mysql, sqlite
    url: URL


def settings(payload: Mapping[str, Any], policy: HostPolicy, sqlite_dir: str) -> dict[str, Any]:
    config = {
        "type": "jdbc",
        "url": fields.text(payload, "url"),
        "username": fields.text(payload, "username", required=False),
        "password": fields.text(payload, "password", required=False),
        "driver": fields.text(payload, "driver", required=False),
        "query": fields.text(payload, "query"),
    }
    target(config, policy, sqlite_dir)  # validates the URL, driver and host
    check_query(config["query"])
    return config


def target(config: Mapping[str, Any], policy: HostPolicy, sqlite_dir: str) -> Target:
    """Translate the JDBC URL (with username/password) into a SQLAlchemy URL."""
    jdbc = str(config["url"])
    if not jdbc.startswith("jdbc:"):
        raise BadRequest("input.url: expected a JDBC URL such as jdbc:postgresql://host:5432/db")
    rest = jdbc[len("jdbc:") :]
    kind = rest.split(":", 1)[0].lower()
    if kind not in DRIVERS:
        raise BadRequest(
            f"input.url: unsupported database {kind!r}; supported: "
            "postgresql, mysql, mariadb, sqlite"
        )
    driver = str(config.get("driver") or "")
    if driver and driver not in DRIVERS[kind]:
        raise BadRequest(
            f"input.driver: {driver} does not match a {kind} URL; expected one of "
            f"{', '.join(DRIVERS[kind])}"
        )
    if kind == "sqlite":
        return Target("sqlite", _sqlite_url(rest[len("sqlite:") :], sqlite_dir))
    return _network_target(kind, rest, config, policy)


def _network_target(kind: str, rest: str, config: Mapping[str, Any], policy: HostPolicy) -> Target:
    parts = urlsplit(rest[len(kind) + 1 :] if rest[len(kind) + 1 :].startswith("//") else "")
    if not parts.hostname:
        raise BadRequest(f"input.url: expected jdbc:{kind}://host[:port]/database")
    try:
        port = parts.port or DEFAULT_PORTS[kind]
    except ValueError:
        raise BadRequest("input.url: the port is not a number") from None
    policy.check(parts.hostname, port, "input.url")
    query = dict(parse_qsl(parts.query))
    user = config.get("username") or query.get("user") or parts.username or ""
    password = config.get("password") or query.get("password") or parts.password or ""
    database = parts.path.lstrip("/")
    dialect = "postgresql" if kind == "postgresql" else "mysql"
    drivername = "postgresql+psycopg" if dialect == "postgresql" else "mysql+pymysql"
    url = URL.create(
        drivername,
        username=user or None,
        password=password or None,
        host=parts.hostname,
        port=port,
        database=database or None,
    )
    return Target(dialect, url)


def _sqlite_url(path: str, sqlite_dir: str) -> URL:
    if not sqlite_dir:
        raise BadRequest(
            "input.url: SQLite sources are disabled on this server "
            "(INFERJOBS_SOURCES__SQLITE_DIR is not set)"
        )
    root = Path(sqlite_dir).resolve()
    file = (root / path.removeprefix("//")).resolve()
    if not file.is_relative_to(root) or not file.is_file():
        raise BadRequest(f"input.url: no SQLite database {path!r} in the server's SQLite directory")
    return URL.create("sqlite", database=str(file))


def check_query(query: str) -> None:
    """Refuse anything but one SELECT or WITH ... SELECT statement."""
    bare = _STRINGS.sub("''", _COMMENTS.sub(" ", query)).strip().rstrip(";").strip()
    if ";" in bare:
        raise BadRequest("input.query: expected a single statement")
    first = bare.split(None, 1)[0].upper() if bare else ""
    if first not in ("SELECT", "WITH"):
        raise BadRequest("input.query: only a read-only SELECT (or WITH ... SELECT) is allowed")
    words = set(re.findall(r"[A-Za-z_]+", bare.upper()))
    forbidden = words & {
        "INSERT",
        "UPDATE",
        "DELETE",
        "MERGE",
        "DROP",
        "ALTER",
        "CREATE",
        "TRUNCATE",
        "GRANT",
        "REVOKE",
        "COPY",
        "CALL",
        "EXEC",
        "INTO",
        "LOCK",
        "OUTFILE",
        "DUMPFILE",
        "LOAD_FILE",
        "PG_SLEEP",
        "SLEEP",
        "BENCHMARK",
        "PG_READ_FILE",
        "LO_IMPORT",
        "DBLINK",
        "ATTACH",
    }
    if forbidden:
        raise BadRequest(
            f"input.query: {', '.join(sorted(forbidden))} is not allowed in a read-only SELECT"
        )


class Query:
    """Runs the job's query read-only, with a statement timeout."""

    def __init__(
        self,
        config: Mapping[str, Any],
        policy: HostPolicy,
        sqlite_dir: str,
        timeout_ms: int,
        connect_timeout_s: float = 5,
    ) -> None:
        self.sql = str(config["query"]).strip().rstrip(";")
        self.target = target(config, policy, sqlite_dir)
        self.timeout_ms = timeout_ms
        self.engine = _engine(self.target, connect_timeout_s)

    def columns_and_first_row(self) -> tuple[list[str], bool]:
        """The column names, and whether there is at least one row (LIMIT 1)."""
        with self._connect() as conn:
            result = conn.execute(text(f"SELECT * FROM ({self.sql}) AS q LIMIT 1"))
            return list(result.keys()), result.first() is not None

    def rows(self, skip: int = 0) -> Iterator[dict[str, Any]]:
        """Stream the rows (server-side cursor), skipping the first `skip`."""
        with self._connect() as conn:
            result = conn.execution_options(stream_results=True, max_row_buffer=1000).execute(
                text(self.sql)
            )
            for number, row in enumerate(result):
                if number >= skip:
                    yield dict(row._mapping)

    def _connect(self) -> Any:
        return _ReadOnly(self.engine, self.target.dialect, self.timeout_ms)

    def close(self) -> None:
        self.engine.dispose()


class _ReadOnly:
    """A connection in a read-only transaction with a statement timeout."""

    def __init__(self, engine: Engine, dialect: str, timeout_ms: int) -> None:
        self.engine, self.dialect, self.timeout_ms = engine, dialect, timeout_ms
        self.conn: Connection | None = None

    def __enter__(self) -> Connection:
        try:
            self.conn = self.engine.connect()
            if self.dialect == "postgresql":
                self.conn.execute(text("SET TRANSACTION READ ONLY"))
                self.conn.execute(text(f"SET LOCAL statement_timeout = {int(self.timeout_ms)}"))
            elif self.dialect == "mysql":
                self.conn.rollback()
                self.conn.exec_driver_sql(
                    f"SET SESSION max_statement_time = {self.timeout_ms / 1000:.3f}"
                )
                self.conn.exec_driver_sql("START TRANSACTION READ ONLY")
            return self.conn
        except SQLAlchemyError as exc:
            self.__exit__(None, None, None)
            raise ItemError(describe(exc)) from None

    def __exit__(self, *exc: object) -> None:
        if self.conn is not None:
            self.conn.rollback()
            self.conn.close()


def _engine(target: Target, connect_timeout_s: float) -> Engine:
    if target.dialect == "sqlite":  # opened read-only
        uri = f"file:{quote(str(target.url.database))}?mode=ro"
        return create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))
    args = {"connect_timeout": int(max(1, connect_timeout_s))}
    return create_engine(
        target.url, connect_args=args, pool_size=1, max_overflow=0, pool_pre_ping=True
    )


def describe(exc: BaseException) -> str:
    """A database error as a person-readable message, without credentials."""
    original = getattr(exc, "orig", exc)
    message = str(original).strip().splitlines()[0] if str(original).strip() else ""
    message = re.sub(r"(password|pwd)\S*", "password ***", message, flags=re.IGNORECASE)
    return f"the JDBC query failed: {type(original).__name__}: {message[:300]}"
