"""5. Memory: peak RSS of the API process and of a worker during a large job vs a small one.

Each size runs on a fresh inferjobs (PostgreSQL, one worker process). A sampler reads the RSS
of both processes every 20 ms (the worker also with its children, the processes that run the
models) through the job's phases: submit and run (until the job ends), then reading its
results back (GET /api/results, one response holding every item).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

from bench.client import ECHO, http_client, results, submit, submit_body, wait
from bench.common import Sizes, ratio
from bench.stack import Stack, inferjobs

SAMPLE_SECONDS = 0.02
MIB = 1024 * 1024


class PeakRss:
    """Samples the RSS of some processes in a thread; `peaks()` per process, in MiB."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.procs = {name: psutil.Process(pid) for name, pid in pids.items()}
        self.peak = dict.fromkeys(pids, 0)
        self._stop = threading.Event()

    def sample(self) -> None:
        for name, proc in self.procs.items():
            self.peak[name] = max(self.peak[name], _rss(proc, name.endswith("+children")))

    @contextmanager
    def running(self) -> Iterator[PeakRss]:
        thread = threading.Thread(target=self._loop, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            self.sample()

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self.sample()

    def peaks(self) -> dict[str, float]:
        return {name: rss / MIB for name, rss in self.peak.items()}


def _rss(proc: psutil.Process, with_children: bool) -> int:
    """RSS of a process, plus its children's (the worker's model processes) when asked."""
    family = [proc, *proc.children(recursive=True)] if with_children else [proc]
    total = 0
    for member in family:
        try:
            total += member.memory_info().rss
        except psutil.NoSuchProcess:
            continue
    return total


def measure(stack: Stack, items: int) -> dict[str, Any]:
    worker = stack.workers[0].pid
    pids = {"api": stack.api.pid, "worker": worker, "worker+children": worker}
    idle = PeakRss(pids)
    idle.sample()
    texts = [(f"item-{n}", f"text {n}") for n in range(items)]
    body_bytes = len(json.dumps(submit_body(ECHO, texts)).encode())
    phases: dict[str, dict[str, float]] = {}
    with http_client(stack, 1) as http:
        with PeakRss(pids).running() as rss:
            began = time.perf_counter()
            job_id = submit(http, ECHO, texts)
            submitted = time.perf_counter() - began
            wait(http, job_id)
        phases["submit and run"] = rss.peaks()
        with PeakRss(pids).running() as rss:
            count = len(results(http, job_id)["results"])
        phases["read results"] = rss.peaks()
    if count != items:
        raise AssertionError(f"memory: {count} results for {items} items")
    overall = {p: max(ph[p] for ph in phases.values()) for p in pids}
    return {
        "items": items,
        "body_mib": body_bytes / MIB,  # the submit request's JSON body
        "submit_seconds": submitted,  # POST /api/jobs alone
        "idle_mib": idle.peaks(),
        "phases": phases,
        "peak_mib": overall,
    }


def run(sizes: Sizes, work_dir: Path) -> dict[str, Any]:
    measured = []
    for items in sizes.memory_items:
        with inferjobs(work_dir / f"items-{items}", "postgres", 1) as stack:
            measured.append(measure(stack, items))
        last = measured[-1]
        print(
            f"  memory {items} items: body {last['body_mib']:.1f} MiB, submit "
            f"{last['submit_seconds']:.1f} s, peak {last['peak_mib']}",
            flush=True,
        )
    return {"raw": measured, "rows": _rows(measured)}


def _rows(measured: list[dict[str, Any]]) -> list[dict[str, Any]]:
    small, large = measured[0], measured[-1]
    rows = []
    for process in small["peak_mib"]:
        for phase in ("submit and run", "read results"):
            before = small["phases"][phase][process]
            after = large["phases"][phase][process]
            rows.append(
                {
                    "process": process,
                    "phase": phase,
                    f"peak_mib_{small['items']}": before,
                    f"peak_mib_{large['items']}": after,
                    "growth_pct": (ratio(after, before) - 1) * 100,
                }
            )
    return rows
