"""An inferjobs client over HTTP, used the way a Modzy client uses the API."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import httpx

from bench.baselines.jobs import Job
from bench.stack import Stack

POLL_SECONDS = 0.02
MAX_RETRIES = 50
TERMINAL = {"COMPLETED", "CANCELED", "TIMEDOUT", "ERROR"}


@dataclass(frozen=True)
class Model:
    identifier: str
    version: str
    input_name: str = "input.txt"
    source_type: str = "text"  # or "embedded": values are data URIs


ECHO = Model("echo", "1.0.0")


def http_client(stack: Stack, connections: int = 8) -> httpx.Client:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.Client(base_url=stack.url, headers=stack.headers, limits=limits, timeout=600)


def submit_body(model: Model, items: Sequence[tuple[str, str]]) -> dict[str, Any]:
    return {
        "model": {"identifier": model.identifier, "version": model.version},
        "explain": False,
        "input": {
            "type": model.source_type,
            "sources": {n: {model.input_name: t} for n, t in items},
        },
    }


class Retries:
    """Counts submits that answered a server error and were sent again (thread-safe)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def add(self) -> None:
        with self._lock:
            self.count += 1


def submit(
    http: httpx.Client,
    model: Model,
    items: Sequence[tuple[str, str]],
    retries: Retries | None = None,
) -> str:
    """POST /api/jobs; with `retries`, a 5xx or dropped connection is counted and sent again
    (the submit's transaction rolled back: nothing was queued)."""
    body = submit_body(model, items)
    for _ in range(MAX_RETRIES - 1):
        try:
            response = http.post("/api/jobs", json=body)
        except httpx.TransportError:  # the server dropped the connection after its 500
            if retries is None:
                raise
            retries.add()
            continue
        if response.status_code < 500 or retries is None:
            break
        retries.add()
    else:
        response = http.post("/api/jobs", json=body)
    response.raise_for_status()
    return str(response.json()["jobIdentifier"])


def wait(http: httpx.Client, job_id: str, timeout: float = 3600) -> dict[str, Any]:
    """Poll the job (as modzy-sdk's block_until_complete does) until it ends."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = http.get(f"/api/jobs/{job_id}")
        response.raise_for_status()
        job: dict[str, Any] = response.json()
        if job["status"] in TERMINAL:
            return job
        time.sleep(POLL_SECONDS)
    raise TimeoutError(f"job {job_id} did not finish in {timeout}s")


def results(http: httpx.Client, job_id: str) -> dict[str, Any]:
    response = http.get(f"/api/results/{job_id}")
    response.raise_for_status()
    body: dict[str, Any] = response.json()
    if not body["finished"]:
        raise AssertionError(f"job {job_id} results are not finished")
    return body


def run_job(http: httpx.Client, model: Model, items: Sequence[tuple[str, str]]) -> int:
    """Submit one job, wait for it, read its results; returns successful results read."""
    job_id = submit(http, model, items)
    wait(http, job_id)
    return len(results(http, job_id)["results"])


class InferjobsClient:
    """Submits jobs over HTTP from `clients` threads, then waits for and reads each one."""

    def __init__(self, stack: Stack, model: Model = ECHO) -> None:
        self.stack = stack
        self.model = model
        self.name = f"inferjobs/{stack.database}"
        self.retries = Retries()

    def run(self, jobs: Sequence[Job], clients: int) -> int:
        with http_client(self.stack, clients) as http, ThreadPoolExecutor(clients) as pool:
            ids = list(pool.map(lambda job: self._submit(http, job), jobs))
            pairs = zip(ids, jobs, strict=True)
            counts = list(pool.map(lambda pair: self._collect(http, *pair), pairs))
        return sum(counts)

    def _submit(self, http: httpx.Client, job: Job) -> str:
        return submit(http, self.model, job.items, self.retries)

    @staticmethod
    def _collect(http: httpx.Client, job_id: str, job: Job) -> int:
        wait(http, job_id)
        body = results(http, job_id)
        if len(body["results"]) != len(job.items):
            raise AssertionError(f"inferjobs job {job_id}: {len(body['results'])} results")
        return len(body["results"])
