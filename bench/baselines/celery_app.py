"""Celery 5 + Redis baseline: one task per item; a job is a group whose results are fetched.

The worker imports this module (`celery -A bench.baselines.celery_app worker`); the broker and
result backend come from BENCH_REDIS_URL.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import redis
from celery import Celery, group
from celery.result import GroupResult

from bench.baselines.jobs import Job, echo_output
from bench.common import BIN, Processes, wait_until

REDIS_ENV = "BENCH_REDIS_URL"


def make_app(redis_url: str) -> Celery:
    app = Celery("bench", broker=f"{redis_url}/0", backend=f"{redis_url}/1")
    app.conf.update(
        task_serializer="json",
        result_serializer="json",
        accept_content=["json"],
        result_expires=3600,
        broker_connection_retry_on_startup=True,
        worker_hijack_root_logger=False,
    )
    app.task(name="echo")(echo_output)
    return app


app = make_app(os.environ.get(REDIS_ENV, "redis://127.0.0.1:6379"))


class CeleryClient:
    """Submits each job as a group of tasks, then gets each group's results.

    One client thread: Celery's Redis result consumer (pub/sub) is not thread-safe, and
    sending is a non-blocking LPUSH per task, so more threads would not help it.
    """

    name = "celery+redis"

    def __init__(self, redis_url: str) -> None:
        self.app = make_app(redis_url)

    def run(self, jobs: Sequence[Job], clients: int) -> int:
        groups = [self._submit(job) for job in jobs]
        return sum(self._collect(g, job) for g, job in zip(groups, jobs, strict=True))

    def ready(self) -> bool:
        return bool(self.app.control.ping(timeout=0.5))

    def close(self) -> None:
        self.app.close()

    def _submit(self, job: Job) -> GroupResult:
        task = self.app.tasks["echo"]
        result: GroupResult = group(task.s(text) for _, text in job.items).apply_async()
        return result

    @staticmethod
    def _collect(result: GroupResult, job: Job) -> int:
        outputs: list[Any] = result.get(timeout=600)
        if len(outputs) != len(job.items) or outputs[0] != echo_output(job.items[0][1]):
            raise AssertionError(f"celery job {job.id}: unexpected results")
        return len(outputs)


@contextmanager
def celery_system(log_dir: Path, workers: int, redis_url: str) -> Iterator[CeleryClient]:
    """A Celery worker with `workers` prefork processes; stopped on exit."""
    redis.Redis.from_url(redis_url).flushall()  # our own private server: start empty
    procs = Processes(log_dir)
    args = [
        str(BIN / "celery"), "-A", "bench.baselines.celery_app", "worker",
        "--pool", "prefork", "--concurrency", str(workers), "--loglevel", "WARNING",
        "--without-gossip", "--without-mingle", "--without-heartbeat",
    ]  # fmt: skip
    client = CeleryClient(redis_url)
    try:
        worker = procs.start("celery-worker", args, {REDIS_ENV: redis_url})
        wait_until(client.ready, 60, worker.describe)
        yield client
    finally:
        client.close()
        procs.stop()
