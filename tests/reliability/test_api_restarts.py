"""SIGKILL the API process, and start it again, during a stream of submits and chunked uploads.

The client resends every request that got no answer, with the same Idempotency-Key (on
submits and on upload chunks). Afterwards: one job per logical job, none left OPEN, every
item's text exactly as sent (no chunk stored twice), and every item run exactly once.
"""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import _require_postgres
from tests.reliability import figures
from tests.reliability.clients import RetryingClient
from tests.reliability.fleet import Fleet
from tests.reliability.invariants import assert_sound
from tests.reliability.workload import Workload, check_jobs
from tests.support.databases import fresh_postgres

JOBS = 30
MAX_KILLS = 4


def _scenario(
    fleet: Fleet, label: str, seed: int, jobs: int = JOBS, max_kills: int = MAX_KILLS
) -> None:
    client = RetryingClient(fleet.server.api, fleet.server.key)
    workload = Workload(client, tag=f"restart-{seed}")
    errors: list[BaseException] = []

    def stream() -> None:
        try:
            workload.run(jobs, until_stopped=True)
        except BaseException as exc:  # reported by the test thread
            errors.append(exc)

    thread = threading.Thread(target=stream)
    thread.start()
    rng = random.Random(seed)
    kills = 0
    try:  # the stream goes on until every kill has hit it
        while thread.is_alive() and kills < max_kills:
            time.sleep(rng.uniform(0.2, 1.2))
            fleet.kill_api()
            kills += 1
            fleet.start_api()
    finally:
        workload.stop.set()
        thread.join(600)
        client.close()
    assert not errors, errors
    assert not workload.unexpected, workload.unexpected
    assert client.server_errors() == 0, client.statuses
    fleet.wait(list(workload.expected), timeout=120)
    check_jobs(fleet.db, workload)
    tally = assert_sound(fleet.db, list(workload.expected))
    assert kills == max_kills
    figures.record(
        label,
        api_kills=kills,
        jobs=len(workload.expected),
        items=tally.items,
        requests_resent=client.retries,
        dropped_connections=client.transport_errors,
        server_errors=client.server_errors(),
        items_lost=tally.lost,
        duplicates=tally.duplicates,
    )


@pytest.mark.postgres
def test_api_kills_on_postgresql(tmp_path: Path) -> None:
    _require_postgres()
    with fresh_postgres() as url:
        fleet = Fleet(tmp_path / "pg", url)
        fleet.start_worker()
        try:
            _scenario(fleet, "API SIGKILL (PostgreSQL)", seed=61)
        finally:
            fleet.close()


def test_api_kills_on_sqlite_with_in_process_worker(tmp_path: Path) -> None:
    fleet = Fleet(tmp_path / "sqlite", None, api_worker=True)
    try:
        _scenario(fleet, "API SIGKILL (SQLite, in-process worker)", seed=62)
    finally:
        fleet.close()


@pytest.mark.slow
@pytest.mark.timeout(1200)
@pytest.mark.postgres
def test_api_kills_long_run(tmp_path: Path) -> None:
    _require_postgres()
    with fresh_postgres() as url:
        fleet = Fleet(tmp_path / "pg-long", url)
        fleet.start_worker()
        try:
            _scenario(fleet, "API SIGKILL (PostgreSQL, long)", seed=63, jobs=400, max_kills=60)
        finally:
            fleet.close()
