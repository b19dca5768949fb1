"""An API process and worker processes on one database, each of which a test may kill."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import func, select

from inferjobs.storage.db import Database
from inferjobs.storage.tables import items, workers
from tests.api.conftest import TERMINAL
from tests.support.server import ServerProcess, start_server, start_worker_process

FAST_LEASE = {
    "INFERJOBS_WORKER__LEASE_SECONDS": "2",
    "INFERJOBS_WORKER__HEARTBEAT_SECONDS": "0.5",
}


class Fleet:
    """`serve` (with or without its in-process worker) plus `inferjobs worker` processes."""

    def __init__(
        self,
        data_dir: Path,
        database_url: str | None,
        env: dict[str, str] | None = None,
        *,
        api_worker: bool = False,
    ) -> None:
        self.data_dir = data_dir
        self.database_url = database_url
        self.env = {**FAST_LEASE, **(env or {})}
        self.args = () if api_worker else ("--no-worker",)
        self.server: ServerProcess = start_server(
            data_dir, database_url=database_url, extra_env=self.env, args=self.args
        )
        self.db = Database(database_url or f"sqlite:///{data_dir / 'inferjobs.db'}")
        self.workers: list[subprocess.Popen[bytes]] = []
        self.http = httpx.Client(base_url=self.server.api, timeout=30, headers=self.headers())
        self.api_restarts = 0

    def headers(self, key: str | None = None) -> dict[str, str]:
        return self.server.headers(key)

    # ---- the API process --------------------------------------------------------------------
    def kill_api(self) -> None:
        self.server.process.send_signal(signal.SIGKILL)
        self.server.process.wait(10)

    def start_api(self) -> None:
        """Start the API again on the same port and data directory."""
        port = int(self.server.url.rsplit(":", 1)[1])
        self.server = start_server(
            self.data_dir,
            database_url=self.database_url,
            extra_env=self.env,
            args=self.args,
            port=port,
        )
        self.api_restarts += 1

    # ---- worker processes -------------------------------------------------------------------
    def start_worker(self, **env: str) -> subprocess.Popen[bytes]:
        log = self.data_dir / f"worker-{len(self.workers)}.log"
        proc = start_worker_process(self.server, log, **env)
        self.workers.append(proc)
        return proc

    def wait_workers(self, count: int, timeout: float = 60) -> None:
        """Wait until `count` workers have registered and run."""
        query = select(func.count()).select_from(workers).where(workers.c.status == "running")
        deadline = time.monotonic() + timeout
        while True:
            with self.db.read() as conn:
                if conn.execute(query).scalar_one() >= count:
                    return
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)

    def live_workers(self) -> list[subprocess.Popen[bytes]]:
        return [w for w in self.workers if w.poll() is None]

    def holding(self, worker: subprocess.Popen[bytes]) -> int:
        """Items the worker process holds right now (claimed, not yet written)."""
        query = (
            select(func.count())
            .select_from(items)
            .where(items.c.status == "running", items.c.lease_owner.contains(f"-{worker.pid}-"))
        )
        with self.db.read() as conn:
            return int(conn.execute(query).scalar_one())

    def unfinished(self, job_ids: list[str]) -> int:
        """Items of these jobs still waiting or running."""
        query = (
            select(func.count())
            .select_from(items)
            .where(items.c.job_id.in_(job_ids), items.c.status.in_(("pending", "running")))
        )
        with self.db.read() as conn:
            return int(conn.execute(query).scalar_one())

    def kill_worker(self, worker: subprocess.Popen[bytes]) -> None:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)

    # ---- jobs --------------------------------------------------------------------------------
    def submit_texts(self, model: str, version: str, texts: dict[str, str]) -> str:
        body = {
            "model": {"identifier": model, "version": version},
            "explain": False,
            "input": {"type": "text", "sources": {k: {"input.txt": v} for k, v in texts.items()}},
        }
        response = self.http.post("/jobs", json=body)
        assert response.status_code == 200, response.text
        return str(response.json()["jobIdentifier"])

    def job(self, job_id: str) -> dict[str, Any]:
        response = self.http.get(f"/jobs/{job_id}")
        assert response.status_code == 200, response.text
        return dict(response.json())

    def finished(self, job_ids: list[str]) -> bool:
        return all(self.job(j)["status"] in TERMINAL for j in job_ids)

    def wait(self, job_ids: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while not self.finished(job_ids):
            assert time.monotonic() < deadline, "the jobs did not finish in time"
            time.sleep(0.2)

    def close(self) -> None:
        for proc in self.workers:
            if proc.poll() is None:
                proc.kill()
                proc.wait(10)
        self.http.close()
        self.server.stop()
        self.db.dispose()
