"""Restart PostgreSQL (a server of the test's own) while clients submit and workers run.

During the outage every request gets an answer a client can act on: 503 with Retry-After,
never a 500 or a wrong answer. Afterwards the API and the workers carry on by themselves (no
restart of theirs) and every item ends with exactly one outcome.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from tests.reliability import figures
from tests.reliability.clients import RetryingClient
from tests.reliability.cluster import Cluster
from tests.reliability.fleet import Fleet
from tests.reliability.invariants import assert_sound
from tests.reliability.workload import Workload, check_jobs

JOBS = 50


def _stream(workload: Workload, errors: list[BaseException], jobs: int) -> None:
    try:
        workload.run(jobs)
    except BaseException as exc:  # reported by the test thread
        errors.append(exc)


def test_postgresql_restarts_mid_run(cluster: Cluster, tmp_path: Path) -> None:
    fleet = Fleet(tmp_path / "pg", cluster.create_database("inferjobs"))
    try:
        _scenario(fleet, cluster, restarts=2, jobs=JOBS)
    finally:
        fleet.close()


@pytest.mark.slow
@pytest.mark.timeout(1200)
def test_postgresql_restarts_many_times(cluster: Cluster, tmp_path: Path) -> None:
    fleet = Fleet(tmp_path / "pg-long", cluster.create_database("inferjobs"))
    try:
        _scenario(fleet, cluster, restarts=12, jobs=400)
    finally:
        fleet.close()


def _scenario(fleet: Fleet, cluster: Cluster, restarts: int, jobs: int) -> None:
    for _ in range(2):
        fleet.start_worker()
    fleet.wait_workers(2)
    background = fleet.submit_texts("sleep", "1.0.0", {f"nap-{n}": "20" for n in range(300)})
    client = RetryingClient(fleet.server.api, fleet.server.key, deadline_seconds=120)
    workload = Workload(client, tag="pg-restart")
    errors: list[BaseException] = []
    thread = threading.Thread(target=_stream, args=(workload, errors, jobs))
    thread.start()
    try:
        for n in range(restarts):
            time.sleep(1.5)
            # fast: a clean shutdown; immediate: like a crash, with recovery on start
            cluster.restart(down_seconds=3 - n % 2, mode=("fast", "immediate")[n % 2])
    finally:
        thread.join(600)
        client.close()
    assert not errors, errors
    assert not workload.unexpected, workload.unexpected
    assert client.server_errors() == 0, client.statuses
    assert client.statuses[503] >= 1, "the outage should have been seen as 503"
    assert client.missing_retry_after == 0
    job_ids = [background, *workload.expected]
    fleet.wait(job_ids, timeout=180)
    assert all(w.poll() is None for w in fleet.workers), "a worker died with the database"
    check_jobs(fleet.db, workload)
    tally = assert_sound(fleet.db, job_ids)
    assert tally.statuses["SUCCESSFUL"] == tally.items
    figures.record(
        f"PostgreSQL restarts ({restarts}, fast and immediate)",
        database_restarts=cluster.restarts,
        jobs=len(job_ids),
        items=tally.items,
        answers_503=client.statuses[503],
        dropped_connections=client.transport_errors,
        server_errors=client.server_errors(),
        items_lost=tally.lost,
        duplicates=tally.duplicates,
    )
