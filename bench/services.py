"""The servers the suite needs besides inferjobs: PostgreSQL (the machine's) and Redis (ours)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import psycopg
from psycopg import sql

from bench.common import HOST, Proc, Processes, free_port, wait_until

PG_PORT = 5432
PG_ADMIN = f"host={HOST} port={PG_PORT} user=postgres dbname=postgres"


def pg_up() -> bool:
    try:
        with psycopg.connect(PG_ADMIN, connect_timeout=2):
            return True
    except psycopg.OperationalError:
        return False


def ensure_postgres() -> None:
    """Start the machine's PostgreSQL cluster if it is down (as .ci/run does)."""
    if pg_up():
        return
    versions = sorted(p.name for p in Path("/etc/postgresql").iterdir())
    if not versions or shutil.which("pg_ctlcluster") is None:
        raise RuntimeError("PostgreSQL is not reachable on 127.0.0.1:5432 and is not installed")
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", versions[-1], "main", "start"], check=False
    )
    wait_until(pg_up, 30, lambda: "PostgreSQL did not start")


def pg_url(dbname: str, driver: str = "postgresql+psycopg") -> str:
    return f"{driver}://postgres@{HOST}:{PG_PORT}/{dbname}"


def pg_conninfo(dbname: str) -> str:
    return f"host={HOST} port={PG_PORT} user=postgres dbname={dbname}"


def recreate_database(dbname: str) -> None:
    """Drop (ending its sessions) and create an empty database of ours."""
    drop_database(dbname)
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))


def drop_database(dbname: str) -> None:
    statement = sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)")
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(statement.format(sql.Identifier(dbname)))


def start_redis(procs: Processes) -> tuple[Proc, str]:
    """A private redis-server on a free loopback port, no persistence; returns it and its URL."""
    port = free_port()
    workdir = procs.log_dir / "redis-data"
    workdir.mkdir(parents=True, exist_ok=True)
    args = [
        "redis-server",
        "--bind", HOST,
        "--port", str(port),
        "--save", "",
        "--appendonly", "no",
        "--dir", str(workdir),
    ]  # fmt: skip
    proc = procs.start("redis", args)
    proc.wait_for("Ready to accept connections", 20)
    return proc, f"redis://{HOST}:{port}"
