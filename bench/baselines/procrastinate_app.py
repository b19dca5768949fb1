"""Procrastinate baseline on the same PostgreSQL: one job per item.

Procrastinate keeps no task results, so the task writes its output to a results table (the same
work inferjobs' worker does) and the client reads them back from there. The worker imports this
module (`procrastinate --app bench.baselines.procrastinate_app.app worker`); the database comes
from BENCH_PROCRASTINATE_DSN.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from procrastinate import App, PsycopgConnector

from bench.baselines.jobs import Job, echo_output
from bench.common import BIN, Processes, wait_until
from bench.services import drop_database, pg_conninfo, recreate_database

DSN_ENV = "BENCH_PROCRASTINATE_DSN"
DBNAME = "bench_procrastinate"
POLL_SECONDS = 0.02
RESULTS_TABLE = """
CREATE TABLE bench_results (
    grp text NOT NULL, name text NOT NULL, output jsonb NOT NULL, PRIMARY KEY (grp, name)
)"""

app = App(connector=PsycopgConnector(conninfo=os.environ.get(DSN_ENV, "")))


@app.task(name="echo")
async def echo(grp: str, name: str, text: str) -> None:
    await app.connector.execute_query_async(
        "INSERT INTO bench_results (grp, name, output) VALUES (%(grp)s, %(name)s, %(output)s)",
        grp=grp,
        name=name,
        output=echo_output(text),
    )


class ProcrastinateClient:
    """Defers each job's items in one batch, polls the results table until all are there.

    It defers by task name through an app of its own (the worker's module app stays closed).
    """

    name = "procrastinate"

    def __init__(self, dsn: str) -> None:
        self.dsn = dsn

    def run(self, jobs: Sequence[Job], clients: int) -> int:
        return asyncio.run(self._run(jobs, clients))

    async def _run(self, jobs: Sequence[Job], clients: int) -> int:
        client = App(connector=PsycopgConnector(conninfo=self.dsn, max_size=clients))
        gate = asyncio.Semaphore(clients)
        async with client.open_async():
            await asyncio.gather(*(self._submit(client, gate, job) for job in jobs))
            counts = await asyncio.gather(*(self._collect(client, gate, job) for job in jobs))
        return sum(counts)

    @staticmethod
    async def _submit(client: App, gate: asyncio.Semaphore, job: Job) -> None:
        args: list[dict[str, Any]] = [{"grp": job.id, "name": n, "text": t} for n, t in job.items]
        async with gate:
            await client.configure_task("echo").batch_defer_async(*args)

    @staticmethod
    async def _collect(client: App, gate: asyncio.Semaphore, job: Job) -> int:
        connector = client.connector
        async with gate:
            while True:
                row = await connector.execute_query_one_async(
                    "SELECT count(*) AS n FROM bench_results WHERE grp = %(grp)s", grp=job.id
                )
                if row["n"] >= len(job.items):
                    break
                await asyncio.sleep(POLL_SECONDS)
            rows = await connector.execute_query_all_async(
                "SELECT name, output FROM bench_results WHERE grp = %(grp)s", grp=job.id
            )
        if len(rows) != len(job.items):
            raise AssertionError(f"procrastinate job {job.id}: {len(rows)} results")
        return len(rows)


def registered_workers(dsn: str) -> int:
    """Workers that registered themselves (Procrastinate 3 does so once it is listening)."""
    with psycopg.connect(dsn) as conn:
        row = conn.execute("SELECT count(*) FROM procrastinate_workers").fetchone()
    return int(row[0]) if row else 0


def prepare_database() -> str:
    """A fresh database with Procrastinate's schema and the results table; returns its DSN."""
    recreate_database(DBNAME)
    dsn = pg_conninfo(DBNAME)

    async def apply() -> None:
        schema_app = App(connector=PsycopgConnector(conninfo=dsn))
        async with schema_app.open_async():
            await schema_app.schema_manager.apply_schema_async()
            await schema_app.connector.execute_query_async(RESULTS_TABLE)

    asyncio.run(apply())
    return dsn


@contextmanager
def procrastinate_system(
    log_dir: Path, workers: int, concurrency: int
) -> Iterator[ProcrastinateClient]:
    """`workers` Procrastinate worker processes on a fresh database; stopped on exit."""
    dsn = prepare_database()
    procs = Processes(log_dir)
    args = [
        str(BIN / "procrastinate"), "--app", "bench.baselines.procrastinate_app.app",
        "worker", "--concurrency", str(concurrency),
    ]  # fmt: skip
    try:
        started = [procs.start(f"procrastinate-{n}", args, {DSN_ENV: dsn}) for n in range(workers)]
        wait_until(lambda: registered_workers(dsn) >= workers, 60, started[0].describe)
        yield ProcrastinateClient(dsn)
    finally:
        procs.stop()
        drop_database(DBNAME)
