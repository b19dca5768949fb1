"""SIGKILL workers again and again, at random moments, during a run of thousands of items.

Every item must end with exactly one outcome and one result (its lease expires, another
worker re-runs it, a late write of the dead worker is fenced off), and the job counters must
equal the item rows. `max_attempts` is set high so that no item fails for being abandoned:
each one must succeed, with the text it was given.
"""

from __future__ import annotations

import os
import random
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import select

from inferjobs.storage.tables import items, results
from tests.conftest import _require_postgres
from tests.reliability import figures
from tests.reliability.fleet import Fleet
from tests.reliability.invariants import assert_sound
from tests.support.databases import fresh_postgres


@dataclass(frozen=True)
class Run:
    items: int
    jobs: int
    workers: int
    gap: tuple[float, float]  # seconds before looking for the next victim, drawn at random
    max_kills: int
    timeout: float


def _fleet(database: str, tmp_path: Path, url: str | None) -> Fleet:
    env = {"INFERJOBS_WORKER__MAX_ATTEMPTS": "1000", "INFERJOBS_WORKER__BATCH_SIZE": "16"}
    return Fleet(tmp_path / database, url, env)


def _submit(fleet: Fleet, run: Run) -> dict[str, dict[str, str]]:
    per_job = run.items // run.jobs
    expected = {}
    for j in range(run.jobs):
        texts = {f"item-{j}-{n}": f"text {j}/{n}" for n in range(per_job)}
        expected[fleet.submit_texts("echo", "1.0.0", texts)] = texts
    return expected


def _kill_repeatedly(fleet: Fleet, job_ids: list[str], run: Run, seed: int) -> tuple[int, int]:
    """Whenever a worker holds a batch, kill it at a random moment; returns (kills, mid-batch)."""
    rng = random.Random(seed)
    kills = mid_batch = 0
    deadline = time.monotonic() + run.timeout
    while kills < run.max_kills and time.monotonic() < deadline:
        time.sleep(rng.uniform(*run.gap))  # workers need time to start and make progress
        victim = _busy_worker(fleet, job_ids, rng)
        if victim is None:
            break
        time.sleep(rng.uniform(0, 0.3))  # a random moment inside its batch
        mid_batch += fleet.holding(victim) > 0
        fleet.kill_worker(victim)
        kills += 1
        fleet.start_worker()
    return kills, mid_batch


def _busy_worker(
    fleet: Fleet, job_ids: list[str], rng: random.Random
) -> subprocess.Popen[bytes] | None:
    """A worker that holds items, once one does; None when the jobs have no items left."""
    while fleet.unfinished(job_ids):
        busy = [w for w in fleet.live_workers() if fleet.holding(w)]
        if busy:
            return rng.choice(busy)
        time.sleep(0.02)
    return None


def _check_outputs(fleet: Fleet, expected: dict[str, dict[str, str]]) -> None:
    query = select(items.c.job_id, items.c.name, results.c.outputs).join(
        results, results.c.item_id == items.c.id
    )
    with fleet.db.read() as conn:
        for job_id, name, outputs in conn.execute(query.where(items.c.job_id.in_(expected))):
            assert outputs["results.json"] == {"text": expected[job_id][name]}


def _scenario(fleet: Fleet, run: Run, label: str, seed: int) -> None:
    expected = _submit(fleet, run)
    job_ids = list(expected)
    for _ in range(run.workers):
        fleet.start_worker()
    kills, mid_batch = _kill_repeatedly(fleet, job_ids, run, seed)
    fleet.wait(job_ids, timeout=run.timeout)
    tally = assert_sound(fleet.db, job_ids)
    assert tally.items == run.items
    assert tally.statuses["SUCCESSFUL"] == run.items, tally.statuses
    _check_outputs(fleet, expected)
    assert kills >= 3 and mid_batch >= 3, (kills, mid_batch)
    figures.record(
        label,
        items=run.items,
        kills=kills,
        kills_mid_batch=mid_batch,
        items_rerun=tally.retried,
        items_lost=tally.lost,
        duplicates=tally.duplicates,
    )


SHORT_PG = Run(items=5000, jobs=5, workers=2, gap=(0.2, 0.8), max_kills=15, timeout=150)
SHORT_SQLITE = Run(items=2000, jobs=2, workers=2, gap=(0.2, 0.8), max_kills=8, timeout=120)
LONG_ITEMS = int(os.environ.get("INFERJOBS_LONG_KILL_ITEMS", "100000"))
LONG_PG = Run(items=LONG_ITEMS, jobs=10, workers=3, gap=(0.5, 1.5), max_kills=5000, timeout=3000)


@pytest.mark.postgres
def test_worker_kills_on_postgresql(tmp_path: Path) -> None:
    _require_postgres()
    with fresh_postgres() as url:
        fleet = _fleet("pg", tmp_path, url)
        try:
            _scenario(fleet, SHORT_PG, "worker SIGKILL (PostgreSQL, 5,000 items)", seed=6)
        finally:
            fleet.close()


def test_worker_kills_on_sqlite(tmp_path: Path) -> None:
    fleet = _fleet("sqlite", tmp_path, None)
    try:
        _scenario(fleet, SHORT_SQLITE, "worker SIGKILL (SQLite, 2,000 items)", seed=7)
    finally:
        fleet.close()


@pytest.mark.slow
@pytest.mark.timeout(3600)
@pytest.mark.postgres
def test_worker_kills_long_run(tmp_path: Path) -> None:
    _require_postgres()
    with fresh_postgres() as url:
        fleet = _fleet("pg-long", tmp_path, url)
        try:
            label = f"worker SIGKILL (PostgreSQL, {LONG_ITEMS:,} items, long)"
            _scenario(fleet, LONG_PG, label, seed=8)
        finally:
            fleet.close()
