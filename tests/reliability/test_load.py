"""Load: 64 concurrent clients submit, poll and read results (loopback only, bounded in time)
with zero errors. Backpressure: an account's queue is bounded; past it, 429 with Retry-After.

The five-minute run is marked slow (excluded by default: `pytest -m slow` runs it).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import _require_postgres
from tests.reliability import figures
from tests.reliability.fleet import Fleet
from tests.reliability.invariants import assert_sound
from tests.support.databases import fresh_postgres

CLIENTS = 64
TERMINAL = {"COMPLETED", "CANCELED", "TIMEDOUT", "ERROR"}


@dataclass
class Tally:
    jobs: list[str] = field(default_factory=list)
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)


async def _request(
    http: httpx.AsyncClient, tally: Tally, method: str, path: str, **kw: Any
) -> httpx.Response:
    response = await http.request(method, path, **kw)
    tally.requests += 1
    tally.statuses[response.status_code] += 1
    if response.status_code != 200:
        tally.errors.append(f"{method} {path}: {response.status_code} {response.text[:200]}")
    return response


async def _client(number: int, http: httpx.AsyncClient, tally: Tally, deadline: float) -> None:
    round_ = 0
    while time.monotonic() < deadline:
        texts = {
            f"c{number}-r{round_}-{k}": f"client {number} round {round_} item {k}"
            for k in range(1 + round_ % 3)
        }
        body = {
            "model": {"identifier": "echo", "version": "1.0.0"},
            "input": {"type": "text", "sources": {k: {"input.txt": v} for k, v in texts.items()}},
        }
        submitted = await _request(http, tally, "POST", "/jobs", json=body)
        if submitted.status_code != 200:
            return
        job_id = submitted.json()["jobIdentifier"]
        tally.jobs.append(job_id)
        while (await _request(http, tally, "GET", f"/jobs/{job_id}")).json().get(
            "status"
        ) not in TERMINAL:
            await asyncio.sleep(0.25)
        results = (await _request(http, tally, "GET", f"/results/{job_id}")).json()
        got = {name: r["results.json"]["text"] for name, r in results["results"].items()}
        if got != texts:
            tally.errors.append(f"job {job_id}: wrong results {got}")
        round_ += 1


async def _load(base_url: str, key: str, seconds: float) -> Tally:
    """64 clients, each with its own connection, as 64 programs would have."""
    tally = Tally()
    headers = {"Authorization": f"ApiKey {key}"}
    deadline = time.monotonic() + seconds

    async def one(number: int) -> None:
        limits = httpx.Limits(max_connections=1)
        async with httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=60, limits=limits
        ) as http:
            await _client(number, http, tally, deadline)

    await asyncio.gather(*(one(n) for n in range(CLIENTS)))
    return tally


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    _require_postgres()
    with fresh_postgres() as url:
        group = Fleet(tmp_path / "load", url)
        group.start_worker()
        try:
            yield group
        finally:
            group.close()


def _run(fleet: Fleet, seconds: float, label: str) -> None:
    fleet.wait_workers(1)
    started = time.monotonic()
    tally = asyncio.run(_load(fleet.server.api, fleet.server.key, seconds))
    elapsed = time.monotonic() - started
    assert not tally.errors, tally.errors[:10]
    assert len(tally.jobs) >= CLIENTS
    sound = assert_sound(fleet.db, tally.jobs)
    figures.record(
        label,
        clients=CLIENTS,
        seconds=round(elapsed),
        jobs=len(tally.jobs),
        items=sound.items,
        requests=tally.requests,
        errors=len(tally.errors),
        answers_5xx=sum(n for s, n in tally.statuses.items() if s >= 500),
    )


@pytest.mark.postgres
def test_64_clients_for_20_seconds(fleet: Fleet) -> None:
    _run(fleet, 20, "load: 64 clients, 20 s (PostgreSQL)")


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.postgres
def test_64_clients_for_5_minutes(fleet: Fleet) -> None:
    _run(fleet, float(os.environ.get("INFERJOBS_LOAD_SECONDS", "300")), "load: 64 clients, 5 min")


# ---- backpressure ------------------------------------------------------------------------------
LIMIT = 50


@pytest.fixture
def bounded(tmp_path: Path) -> Iterator[Fleet]:
    _require_postgres()
    with fresh_postgres() as url:
        group = Fleet(
            tmp_path / "bounded", url, {"INFERJOBS_API__MAX_QUEUED_ITEMS_PER_ACCOUNT": str(LIMIT)}
        )
        try:
            yield group
        finally:
            group.close()


def _job(items: int, tag: str) -> dict[str, object]:
    return {
        "model": {"identifier": "echo", "version": "1.0.0"},
        "input": {
            "type": "text",
            "sources": {f"{tag}-{n}": {"input.txt": tag} for n in range(items)},
        },
    }


@pytest.mark.postgres
def test_an_accounts_queue_is_bounded(bounded: Fleet) -> None:
    def submit(n: int) -> httpx.Response:
        return bounded.http.post("/jobs", json=_job(5, f"burst{n}"))

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(submit, range(20)))  # 100 items asked for, 50 allowed
    accepted = [a for a in answers if a.status_code == 200]
    refused = [a for a in answers if a.status_code == 429]
    assert len(accepted) == LIMIT // 5 and len(refused) == 20 - LIMIT // 5
    assert all(r.headers["retry-after"].isdigit() for r in refused)
    assert "limit of 50" in refused[0].json()["message"]
    opened = bounded.http.post("/jobs", json={"model": {"identifier": "echo", "version": "1.0.0"}})
    job_id = opened.json()["jobIdentifier"]
    bounded.http.post(f"/jobs/{job_id}/late/input.txt", files={"input": ("input", b"x")})
    assert bounded.http.post(f"/jobs/{job_id}/close").status_code == 429
    assert bounded.job(job_id)["status"] == "OPEN"  # still there, to close later
    bounded.start_worker()
    bounded.wait([a.json()["jobIdentifier"] for a in accepted], timeout=60)
    assert bounded.http.post(f"/jobs/{job_id}/close").status_code == 200
    assert bounded.http.post("/jobs", json=_job(5, "after")).status_code == 200
    figures.record("backpressure", queue_limit=LIMIT, answers_429=len(refused) + 1, over_limit=0)
