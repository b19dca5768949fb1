"""1. Queue throughput with a no-op model, against Celery + Redis and Procrastinate.

Each measurement starts its system fresh (empty database or Redis), then times two shapes of
the same work on it, from the first submit to the last result read back by the client:
(a) one job of N items, (b) N/10 jobs of 10 items. Rounds interleave the systems.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.baselines.celery_app import celery_system
from bench.baselines.jobs import QueueSystem, make_jobs
from bench.baselines.procrastinate_app import procrastinate_system
from bench.client import InferjobsClient
from bench.common import Processes, Sizes, median, ratio
from bench.services import start_redis
from bench.stack import inferjobs

PROCRASTINATE_CONCURRENCY = 8  # async jobs per worker process; faster here than its default 1
Starter = Callable[[Path], AbstractContextManager[QueueSystem]]


@dataclass(frozen=True)
class Setup:
    system: str
    workers: int
    clients: int
    start: Starter

    @property
    def label(self) -> str:
        return f"{self.system} w={self.workers} c={self.clients}"


def setups(sizes: Sizes, redis_url: str) -> list[Setup]:
    found: list[Setup] = []
    for workers in sizes.queue_workers:
        for db in sizes.queue_databases:
            found.append(Setup(f"inferjobs/{db}", workers, sizes.clients, _inferjobs(db, workers)))
        found.append(Setup("celery+redis", workers, 1, _celery(workers, redis_url)))
        found.append(Setup("procrastinate", workers, sizes.clients, _procrastinate(workers)))
    return found


def _celery(workers: int, redis_url: str) -> Starter:
    return lambda log_dir: celery_system(log_dir, workers, redis_url)


def _procrastinate(workers: int) -> Starter:
    return lambda log_dir: procrastinate_system(log_dir, workers, PROCRASTINATE_CONCURRENCY)


def _inferjobs(db: str, workers: int) -> Starter:
    @contextmanager
    def start(log_dir: Path) -> Iterator[QueueSystem]:
        with inferjobs(log_dir, db, workers) as stack:
            yield InferjobsClient(stack)

    return start


def shapes(sizes: Sizes) -> dict[str, int]:
    return {"one job": sizes.queue_items, f"jobs of {sizes.queue_job_size}": sizes.queue_job_size}


def measure(setup: Setup, sizes: Sizes, log_dir: Path) -> dict[str, dict[str, Any]]:
    """One fresh start of a system; both shapes timed on it."""
    out: dict[str, dict[str, Any]] = {}
    with setup.start(log_dir) as system:
        for shape, job_size in shapes(sizes).items():
            jobs = make_jobs(sizes.queue_items, job_size, prefix=shape.replace(" ", "-"))
            began = time.perf_counter()
            done = system.run(jobs, setup.clients)
            elapsed = time.perf_counter() - began
            retries = getattr(system, "retries", None)
            out[shape] = {
                "items": done,
                "seconds": elapsed,
                "items_per_s": done / elapsed,
                "server_errors_retried": retries.count if retries else 0,
            }
    return out


def run(sizes: Sizes, work_dir: Path) -> dict[str, Any]:
    procs = Processes(work_dir / "redis")
    _, redis_url = start_redis(procs)
    try:
        all_setups = setups(sizes, redis_url)
        raw: dict[str, list[dict[str, dict[str, Any]]]] = {s.label: [] for s in all_setups}
        for round_no in range(sizes.rounds):
            for setup in all_setups:
                log_dir = (
                    work_dir / f"r{round_no}" / setup.label.replace(" ", "_").replace("/", "-")
                )
                result = measure(setup, sizes, log_dir)
                raw[setup.label].append(result)
                _progress(setup.label, round_no, result)
    finally:
        procs.stop()
    return {"raw": raw, "rows": summarize(all_setups, raw, sizes)}


def summarize(
    all_setups: list[Setup], raw: dict[str, list[dict[str, dict[str, Any]]]], sizes: Sizes
) -> list[dict[str, Any]]:
    rows = []
    for setup in all_setups:
        for shape in shapes(sizes):
            rates = [r[shape]["items_per_s"] for r in raw[setup.label]]
            errors = sum(r[shape]["server_errors_retried"] for r in raw[setup.label])
            rows.append(
                {
                    "system": setup.system,
                    "workers": setup.workers,
                    "clients": setup.clients,
                    "shape": shape,
                    "items": sizes.queue_items,
                    "median_items_per_s": median(rates),
                    "rounds": rates,
                    "server_errors_retried": errors,
                }
            )
    _add_ratios(rows)
    return rows


def _add_ratios(rows: list[dict[str, Any]]) -> None:
    def rate(system: str, workers: int, shape: str) -> float:
        for row in rows:
            if (row["system"], row["workers"], row["shape"]) == (system, workers, shape):
                return float(row["median_items_per_s"])
        return float("nan")

    for row in rows:
        if row["system"].startswith("inferjobs"):
            for base in ("celery+redis", "procrastinate"):
                other = rate(base, row["workers"], row["shape"])
                row[f"x_{base}"] = ratio(row["median_items_per_s"], other)


def _progress(label: str, round_no: int, result: dict[str, dict[str, Any]]) -> None:
    shown = ", ".join(f"{k}: {v['items_per_s']:.0f}/s" for k, v in result.items())
    print(f"  throughput round {round_no + 1} {label}: {shown}", flush=True)
