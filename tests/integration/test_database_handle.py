"""The database handle and the key cache on SQLite and PostgreSQL: a request's reads share
one transaction, closed server connections are replaced before use, a revoked key held in
memory is dropped when another process revokes it."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text

from inferjobs.errors import Unauthorized
from inferjobs.services.keys import KeyService
from inferjobs.storage.db import Database
from inferjobs.storage.notify import libpq_url
from tests.support.runtime import runtime_for


def _key_names(db: Database) -> set[str]:
    with db.read() as conn:
        return set(conn.execute(text("SELECT name FROM api_keys")).scalars())


def test_reads_in_a_scope_share_one_transaction(database_url: str, tmp_path: Path) -> None:
    with runtime_for(database_url, tmp_path) as rt:
        db = rt.db
        with db.read() as first, db.read() as second:
            assert first is not second  # outside a scope each read is its own
        with db.read_scope():
            with db.read() as first:
                pass
            with db.read() as second:
                assert second is first
            assert "before" not in _key_names(db)
            rt.keys.create("before")  # a write ends the shared transaction ...
            assert "before" in _key_names(db)  # ... so this read sees it (SQLite too)
        with db.read() as after:
            assert after is not first


def test_a_connection_the_server_closed_is_replaced(postgres_url: str, tmp_path: Path) -> None:
    with runtime_for(postgres_url, tmp_path) as rt:
        with rt.db.read() as conn:  # one connection now idles in the pool
            backend = conn.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with psycopg.connect(libpq_url(postgres_url), autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (backend,))
        time.sleep(0.2)
        with rt.db.read() as conn:  # no error: the pool noticed and connected again
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != backend


def test_sqlite_never_holds_keys_in_memory(tmp_path: Path) -> None:
    with runtime_for(f"sqlite:///{tmp_path / 'k.db'}", tmp_path) as rt:
        header = f"ApiKey {rt.keys.create('local')}"
        rt.keys.authenticate(header)
        assert rt.keys.cached(header) is None


def test_a_key_revoked_elsewhere_is_dropped_from_memory(postgres_url: str, tmp_path: Path) -> None:
    with runtime_for(postgres_url, tmp_path) as rt:
        stop = threading.Event()
        rt.keys.cache.watch(postgres_url, stop)
        try:
            header = f"ApiKey {rt.keys.create('api')}"
            _wait(lambda: _held_after_use(rt.keys, header), "the key to be held in memory")
            other_process = KeyService(Database(postgres_url))
            other_process.revoke(header.split()[1].split(".")[0])
            _wait(lambda: rt.keys.cached(header) is None, "the revocation to be heard")
            with pytest.raises(Unauthorized):
                rt.keys.authenticate(header)
            other_process.db.dispose()
        finally:
            stop.set()


def _held_after_use(keys: KeyService, header: str) -> bool:
    keys.authenticate(header)
    return keys.cached(header) is not None


def _wait(condition: object, what: str, seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"waited {seconds}s for {what}")
