"""4. History at scale: GET /api/jobs/history over many jobs in PostgreSQL, for one key of many.

The schema is the one the service creates (`inferjobs db upgrade`); keys come from
`inferjobs keys create`; the jobs (and one item per job, which the job objects list) are
bulk-loaded with INSERT ... SELECT generate_series, spread over the keys, models, statuses
and the past year.
"""

from __future__ import annotations

import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.common import BIN, Processes, Sizes, median, percentile
from bench.services import drop_database, pg_conninfo, pg_url, recreate_database
from bench.stack import PROFILE, spy, stack_env, start_api, stop_spies

# A database of its own: another scenario (or another run) can recreate bench_inferjobs
# at any moment, which would kill the bulk load or the measurement.
DBNAME = "bench_inferjobs_history"
STEP_MS = 30_000  # one job every 30 s: 1,000,000 jobs span about 347 days
WARMUP = 5
MODELS = [
    ("ed542963de", "1.0.1", "Sentiment Analysis"),
    ("echo", "1.0.0", "Echo (diagnostic)"),
    ("sleep", "1.0.0", "Sleep (diagnostic)"),
]
JOB_STATUSES = ["COMPLETED"] * 7 + ["CANCELED", "ERROR", "TIMEDOUT"]
ITEM_STATUS = {"COMPLETED": "SUCCESSFUL", "CANCELED": "CANCELED", "ERROR": "FAILED"}

LOAD_JOBS = """
INSERT INTO jobs (id, account_id, user_id, key_prefix, model_id, model_version, model_name,
    status, input_type, explain, priority, timeout_ms, input_bytes, total, completed, failed,
    canceled, created_at, submitted_at, started_at, finished_at, updated_at)
SELECT md5(g::text)::uuid::text, 'default', (%(users)s::text[])[1 + g %% %(k)s],
    (%(prefixes)s::text[])[1 + g %% %(k)s],
    (%(model_ids)s::text[])[1 + (g / 3) %% 3], (%(versions)s::text[])[1 + (g / 3) %% 3],
    (%(names)s::text[])[1 + (g / 3) %% 3], (%(statuses)s::text[])[1 + (g / 7) %% 10],
    'text', false, 0, 600000, 20, 1,
    CASE WHEN (%(statuses)s::text[])[1 + (g / 7) %% 10] = 'COMPLETED' THEN 1 ELSE 0 END,
    CASE WHEN (%(statuses)s::text[])[1 + (g / 7) %% 10] = 'ERROR' THEN 1 ELSE 0 END,
    CASE WHEN (%(statuses)s::text[])[1 + (g / 7) %% 10] IN ('CANCELED', 'TIMEDOUT')
         THEN 1 ELSE 0 END,
    t, t, t + 5, t + 50, t + 50
FROM (SELECT g, %(t0)s::bigint + g::bigint * %(step)s AS t
      FROM generate_series(1, %(n)s) AS g) AS series
"""
LOAD_ITEMS = """
INSERT INTO items (job_id, name, model_key, status, priority, fair_rank, fence, attempts,
    input_bytes, queued_at, started_at)
SELECT id, 'item-1', model_id || ':' || model_version,
    CASE status WHEN 'COMPLETED' THEN 'SUCCESSFUL' WHEN 'ERROR' THEN 'FAILED'
                WHEN 'CANCELED' THEN 'CANCELED' ELSE 'TIMEDOUT' END,
    0, created_at, 1, 1, 20, created_at, started_at
FROM jobs
"""


def create_keys(env: dict[str, str], count: int) -> list[str]:
    """`count` non-admin keys made with the CLI, as an operator would."""
    command = [str(BIN / "inferjobs"), "keys", "create", "--name"]
    return [
        subprocess.run(
            [*command, f"bench-{n}"], env=env, check=True, capture_output=True, text=True
        ).stdout.strip()
        for n in range(count)
    ]


def bulk_load(jobs: int, keys: list[str]) -> int:
    """Insert the jobs and their items; returns the epoch ms of the first job."""
    prefixes = [k.split(".", 1)[0] for k in keys]
    t0 = int(time.time() * 1000) - (jobs + 1) * STEP_MS
    params = {
        "users": [f"user-{p}" for p in prefixes],
        "prefixes": prefixes,
        "k": len(prefixes),
        "model_ids": [m[0] for m in MODELS],
        "versions": [m[1] for m in MODELS],
        "names": [m[2] for m in MODELS],
        "statuses": JOB_STATUSES,
        "t0": t0,
        "step": STEP_MS,
        "n": jobs,
    }
    with psycopg.connect(pg_conninfo(DBNAME), autocommit=True) as conn:
        conn.execute(LOAD_JOBS, params)
        conn.execute(LOAD_ITEMS)
        conn.execute("VACUUM ANALYZE jobs")
        conn.execute("VACUUM ANALYZE items")
    return t0


def queries(sizes: Sizes, t0: int) -> dict[str, dict[str, str]]:
    span = sizes.history_jobs * STEP_MS
    start = datetime.fromtimestamp((t0 + span * 0.5) / 1000, tz=UTC)
    end = datetime.fromtimestamp((t0 + span * 0.6) / 1000, tz=UTC)
    return {
        "first page": {},
        "first page, newest first": {"direction": "DESC"},
        f"page {sizes.history_page:,}": {"page": str(sizes.history_page)},
        "model + status + date range": {
            "model": "ed542963de",
            "status": "COMPLETED",
            "startDate": start.isoformat(timespec="milliseconds"),
            "endDate": end.isoformat(timespec="milliseconds"),
        },
    }


def time_query(http: httpx.Client, params: dict[str, str], count: int) -> list[float]:
    timings = []
    for n in range(WARMUP + count):
        began = time.perf_counter()
        response = http.get("/api/jobs/history", params=params)
        elapsed = (time.perf_counter() - began) * 1000
        response.raise_for_status()
        if len(response.json()) != 10:
            raise AssertionError(f"history {params}: {len(response.json())} jobs, expected 10")
        if n >= WARMUP:
            timings.append(elapsed)
    return timings


def run(sizes: Sizes, work_dir: Path) -> dict[str, Any]:
    recreate_database(DBNAME)
    env = stack_env(work_dir / "data", "postgres", {"INFERJOBS_DATABASE__URL": pg_url(DBNAME)})
    procs = Processes(work_dir)
    try:
        keys, t0, load_s = prepare(sizes, env)
        rows = measure(procs, env, keys[0], queries(sizes, t0), sizes.history_requests)
    finally:
        procs.stop()
        drop_database(DBNAME)
    setup = {"jobs": sizes.history_jobs, "keys": sizes.history_keys, "load_seconds": load_s}
    return {"setup": setup, "rows": rows}


def prepare(sizes: Sizes, env: dict[str, str]) -> tuple[list[str], int, float]:
    """Schema, keys and the bulk load; returns the keys, the first job's time, load seconds."""
    subprocess.run([str(BIN / "inferjobs"), "db", "upgrade"], env=env, check=True)
    keys = create_keys(env, sizes.history_keys)
    began = time.perf_counter()
    t0 = bulk_load(sizes.history_jobs, keys)
    load_s = time.perf_counter() - began
    print(f"  history: loaded {sizes.history_jobs} jobs in {load_s:.0f}s", flush=True)
    return keys, t0, load_s


def measure(
    procs: Processes, env: dict[str, str], key: str, named: dict[str, dict[str, str]], count: int
) -> list[dict[str, Any]]:
    api, url = start_api(procs, env)
    spies = [spy(procs, "api", api.pid, PROFILE["dir"] / "history" / "api.txt")] if PROFILE else []
    try:
        headers = {"Authorization": f"ApiKey {key}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as http:
            return [_row(name, time_query(http, params, count)) for name, params in named.items()]
    finally:
        stop_spies(spies)


def _row(name: str, timings: list[float]) -> dict[str, Any]:
    row = {
        "query": name,
        "p50_ms": median(timings),
        "p95_ms": percentile(timings, 95),
        "requests": len(timings),
    }
    print(f"  history {name}: p50 {row['p50_ms']:.1f} ms, p95 {row['p95_ms']:.1f} ms", flush=True)
    return row
