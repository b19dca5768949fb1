"""Several real worker processes on one PostgreSQL: exactly once, and crash-safe."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from sqlalchemy import func, select

from inferjobs.storage.db import Database
from inferjobs.storage.tables import items, jobs, results
from tests.api.conftest import Api
from tests.support.plugins import plugin_env
from tests.support.server import ServerProcess, start_server, start_worker_process

pytestmark = pytest.mark.postgres
FAST_LEASE = {"INFERJOBS_WORKER__LEASE_SECONDS": "2", "INFERJOBS_WORKER__HEARTBEAT_SECONDS": "0.5"}


class Fleet:
    """An API-only server plus worker processes, all on one PostgreSQL database."""

    def __init__(self, server: ServerProcess, url: str) -> None:
        self.server = server
        self.api = Api(server)
        self.db = Database(url)
        self.workers: list[subprocess.Popen[bytes]] = []

    def start_worker(self, **env: str) -> subprocess.Popen[bytes]:
        log = self.server.data_dir / f"worker-{len(self.workers)}.log"
        proc = start_worker_process(self.server, log, **env)
        self.workers.append(proc)
        return proc

    def close(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        self.api.close()
        self.server.stop()
        self.db.dispose()

    def scalar(self, query):  # type: ignore[no-untyped-def]
        with self.db.read() as conn:
            return conn.execute(query).scalar_one()


@pytest.fixture
def fleet(postgres_url: str, tmp_path: Path) -> Iterator[Fleet]:
    server = start_server(
        tmp_path / "api",
        database_url=postgres_url,
        args=("--no-worker",),
        extra_env={**FAST_LEASE, **plugin_env()},
    )
    group = Fleet(server, postgres_url)
    try:
        yield group
    finally:
        group.close()


def _assert_exactly_once(fleet: Fleet, job_ids: list[str], per_job: int) -> None:
    total = per_job * len(job_ids)
    assert fleet.scalar(select(func.count()).select_from(results)) == total
    assert fleet.scalar(select(func.count(func.distinct(results.c.item_id)))) == total
    assert (
        fleet.scalar(select(func.count()).select_from(items).where(items.c.status == "SUCCESSFUL"))
        == total
    )
    for job_id in job_ids:
        job = fleet.api.get(f"/jobs/{job_id}").json()
        assert (job["status"], job["completed"], job["failed"]) == ("COMPLETED", per_job, 0)


def test_worker_processes_run_every_item_exactly_once(fleet: Fleet) -> None:
    job_ids = [
        fleet.api.submit_texts("echo", "1.0.0", {f"j{j}-{n}": f"{j}/{n}" for n in range(1000)})
        for j in range(3)
    ]
    for _ in range(3):
        fleet.start_worker(INFERJOBS_WORKER__BATCH_SIZE="16")
    for job_id in job_ids:
        fleet.api.wait(job_id, timeout=180)
    _assert_exactly_once(fleet, job_ids, 1000)
    engines = fleet.scalar(select(func.count(func.distinct(results.c.engine))))
    assert engines == 3, "all three worker processes should have taken part"


def _wait_until_holding(fleet: Fleet, worker: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    running = (
        select(func.count())
        .select_from(items)
        .where(items.c.status == "running", items.c.lease_owner.contains(f"-{worker.pid}-"))
    )
    while fleet.scalar(running) == 0:
        assert time.monotonic() < deadline, "the worker never claimed an item"
        time.sleep(0.02)


def test_a_worker_killed_mid_batch_loses_nothing(fleet: Fleet) -> None:
    job_id = fleet.api.submit_texts("sleep", "1.0.0", {f"s{n}": "150" for n in range(30)})
    victim = fleet.start_worker()
    _wait_until_holding(fleet, victim)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(10)
    fleet.start_worker()
    fleet.api.wait(job_id, timeout=120)
    _assert_exactly_once(fleet, [job_id], 30)
    retried = fleet.scalar(select(func.count()).select_from(results).where(results.c.attempts > 1))
    assert retried >= 1, "the killed worker's item should have been re-run"


def test_sigterm_finishes_or_releases_the_batch(fleet: Fleet) -> None:
    job_id = fleet.api.submit_texts("sleep", "1.0.0", {f"s{n}": "400" for n in range(6)})
    first = fleet.start_worker(INFERJOBS_WORKER__STOP_GRACE_SECONDS="5")
    _wait_until_holding(fleet, first)
    first.send_signal(signal.SIGTERM)
    assert first.wait(20) == 0
    done_before = fleet.scalar(select(jobs.c.completed).where(jobs.c.id == job_id))
    assert (
        fleet.scalar(select(func.count()).select_from(items).where(items.c.status == "running"))
        == 0
    )
    assert done_before < 6
    fleet.start_worker()
    fleet.api.wait(job_id, timeout=60)
    _assert_exactly_once(fleet, [job_id], 6)


def test_an_idle_worker_is_woken_by_new_items_instead_of_its_next_poll(fleet: Fleet) -> None:
    fleet.start_worker(INFERJOBS_WORKER__POLL_SECONDS="60")
    warm = fleet.api.submit_texts("echo", "1.0.0", {"warm": "up"})
    fleet.api.wait(warm, timeout=60)
    time.sleep(12)  # idle long enough that the slots' poll backoff is several seconds
    job_id = fleet.api.submit_texts("echo", "1.0.0", {"a": "1"})
    fleet.api.wait(job_id, timeout=60)
    waited = fleet.scalar(
        select(jobs.c.started_at - jobs.c.submitted_at).where(jobs.c.id == job_id)
    )
    assert waited < 3000, f"the job waited {waited} ms for an idle worker"


def test_a_stream_of_small_jobs_runs_on_notifications_alone(fleet: Fleet) -> None:
    """Jobs of 10 submitted from 4 threads while the worker's 2 slots are busy or resting,
    with polling out of the way: a wake lost between the slots would leave a job waiting
    for the 60 s poll."""
    fleet.start_worker(INFERJOBS_WORKER__POLL_SECONDS="60")
    fleet.api.wait(fleet.api.submit_texts("echo", "1.0.0", {"warm": "up"}), timeout=60)

    def submit_some(thread: int) -> list[str]:
        texts = {f"item-{n}": f"text {n}" for n in range(10)}
        return [fleet.api.submit_texts("echo", "1.0.0", texts) for _ in range(15)]

    with ThreadPoolExecutor(4) as pool:
        job_ids = [job_id for ids in pool.map(submit_some, range(4)) for job_id in ids]
    for job_id in job_ids:
        fleet.api.wait(job_id, timeout=30)
    waits = select(func.max(jobs.c.started_at - jobs.c.submitted_at)).where(jobs.c.id.in_(job_ids))
    assert fleet.scalar(waits) < 3000


def test_a_job_queued_while_every_slot_is_busy_runs_when_one_frees(fleet: Fleet) -> None:
    """Both slots run a 2 s batch that took all there was when an echo job arrives: its
    notification finds no free slot, so the busy ones must look again after their batch,
    not at the 60 s poll."""
    fleet.start_worker(INFERJOBS_WORKER__POLL_SECONDS="60")
    for model, version in (("echo", "1.0.0"), ("misbehave", "0.1.0")):
        fleet.api.wait(fleet.api.submit_texts(model, version, {"warm": "up"}), timeout=60)
    naps = []
    for _ in range(2):
        naps.append(fleet.api.submit_texts("misbehave", "0.1.0", {"nap": "nap"}))
        time.sleep(0.3)  # claimed alone, one per slot
    job_id = fleet.api.submit_texts("echo", "1.0.0", {"a": "1"})
    fleet.api.wait(job_id, timeout=30)
    for nap in naps:
        fleet.api.wait(nap, timeout=30)
    waited = fleet.scalar(
        select(jobs.c.started_at - jobs.c.submitted_at).where(jobs.c.id == job_id)
    )
    assert waited < 10_000, f"the job waited {waited} ms for a slot"
