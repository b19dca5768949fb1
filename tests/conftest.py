"""Shared fixtures: real databases (SQLite and PostgreSQL) and real server processes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.databases import fresh_postgres, postgres_available
from tests.support.server import ServerProcess, start_server

IN_CI = bool(os.environ.get("CI"))
pytest_plugins = ["tests.support.source_fixtures"]


def _require_postgres() -> None:
    if not postgres_available():
        if IN_CI:
            pytest.fail("PostgreSQL is required in CI but does not answer on 127.0.0.1:5432")
        pytest.skip("no PostgreSQL server reachable (allowed locally only)")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test using this runs twice: on a SQLite file and on a fresh PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'inferjobs.db'}"
        return
    _require_postgres()
    with fresh_postgres() as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    _require_postgres()
    with fresh_postgres() as url:
        yield url


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    """A real `inferjobs serve` process on SQLite with one in-process worker."""
    proc = start_server(tmp_path / "server")
    yield proc
    proc.stop()
