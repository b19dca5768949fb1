"""Reliability tests: faults, hostile input, isolation, load and retention."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import Api, serve_api
from tests.conftest import IN_CI, _require_postgres
from tests.reliability import figures, keys
from tests.reliability.cluster import Cluster, bin_dir
from tests.support.databases import fresh_postgres
from tests.support.server import start_server

HOSTILE_ENV = {
    "INFERJOBS_API__MAX_BODY_BYTES": str(4 * 1024 * 1024),
    "INFERJOBS_API__MAX_ITEMS_PER_JOB": "1000",
    "INFERJOBS_API__AUTH_FAILURES_MAX": "0",  # these tests send wrong keys on purpose
}


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if figures.FIGURES:
        terminalreporter.section("reliability figures")
        for line in figures.lines():
            terminalreporter.write_line(line)
        figures.save()


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    """A PostgreSQL server of this test's own, which it may stop and restart."""
    binaries = bin_dir()
    if binaries is None:
        if IN_CI:
            pytest.fail("PostgreSQL server programs (pg_config --bindir) are required in CI")
        pytest.skip("no PostgreSQL server programs (initdb, pg_ctl) on this machine")
    server = Cluster(binaries)
    try:
        server.init()
        server.start()
        yield server
    finally:
        server.destroy()


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def hostile_api(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Api]:
    """A server with an in-process worker and small limits, on SQLite and on PostgreSQL."""
    data_dir = tmp_path_factory.mktemp("hostile")
    if request.param == "sqlite":
        yield from _serve(data_dir, None)
        return
    _require_postgres()
    with fresh_postgres() as url:
        yield from _serve(data_dir, url)


def _serve(data_dir: Path, url: str | None) -> Iterator[Api]:
    try:
        yield from serve_api(start_server(data_dir, database_url=url, extra_env=HOSTILE_ENV))
    finally:
        keys.dispose()
