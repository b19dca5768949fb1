"""6. Scale with workers: throughput with 1, 2, 4, 8 worker processes on a 20 ms model.

The built-in `sleep` model has a batch size of 1 and sleeps, per item, the milliseconds given
as its input: with input "20" every batch takes 20 ms. One job of (items per worker x workers)
items is timed from submit to results read. Each worker process runs `scaling_slots` batches
at a time (INFERJOBS_WORKER__SLOTS; 1 by default here, so that a worker process is one model
executor); ideal is workers x slots x 1000/20 items per second.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from bench.client import Model, http_client, run_job
from bench.common import Sizes, median, ratio
from bench.stack import inferjobs

SLEEP = Model("sleep", "1.0.0")


def measure(database: str, workers: int, sizes: Sizes, log_dir: Path) -> float:
    items = sizes.scaling_items_per_worker * workers
    texts = [(f"item-{n}", str(sizes.scaling_sleep_ms)) for n in range(items)]
    slots = {"INFERJOBS_WORKER__SLOTS": str(sizes.scaling_slots)}
    with inferjobs(log_dir, database, workers, slots) as stack, http_client(stack, 1) as http:
        # Warm-up: every worker starts its model's child process on its first batch.
        run_job(http, SLEEP, [(f"warm-up-{n}", "100") for n in range(2 * workers)])
        began = time.perf_counter()
        done = run_job(http, SLEEP, texts)
        elapsed = time.perf_counter() - began
    if done != items:
        raise AssertionError(f"scaling: {done} results for {items} items")
    return items / elapsed


def run(sizes: Sizes, work_dir: Path) -> dict[str, Any]:
    raw: dict[str, list[float]] = {}
    for round_no in range(sizes.rounds):
        for db in sizes.scaling_databases:
            for workers in sizes.scaling_workers:
                label = f"{db} w={workers}"
                rate = measure(db, workers, sizes, work_dir / f"r{round_no}-{db}-{workers}")
                raw.setdefault(label, []).append(rate)
                print(f"  scaling round {round_no + 1} {label}: {rate:.0f} items/s", flush=True)
    return {"raw": raw, "rows": [_row(label, rates, sizes) for label, rates in raw.items()]}


def _row(label: str, rates: list[float], sizes: Sizes) -> dict[str, Any]:
    db, workers = label.split(" w=")
    ideal = int(workers) * sizes.scaling_slots * 1000 / sizes.scaling_sleep_ms
    rate = median(rates)
    return {
        "database": db,
        "workers": int(workers),
        "slots": sizes.scaling_slots,
        "items": sizes.scaling_items_per_worker * int(workers),
        "median_items_per_s": rate,
        "ideal_items_per_s": ideal,
        "efficiency_pct": ratio(rate, ideal) * 100,
        "rounds": rates,
    }
