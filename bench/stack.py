"""Start inferjobs as in production: an API process and separate worker processes."""

from __future__ import annotations

import shutil
import signal
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.common import BIN, HOST, Proc, Processes, free_port, wait_until
from bench.services import drop_database, pg_url, recreate_database

PG_DBNAME = "bench_inferjobs"
PROFILE: dict[str, Path] = {}  # {"dir": path}: py-spy records every API and worker (--profile)


@dataclass
class Stack:
    """A running inferjobs: its URL, the admin key it created, and its processes."""

    url: str
    key: str
    api: Proc
    workers: list[Proc]
    env: dict[str, str]
    procs: Processes
    data_dir: Path
    database: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"ApiKey {self.key}"}

    def add_workers(self, count: int) -> list[Proc]:
        start = len(self.workers)
        added = [
            self.procs.start(f"worker-{start + n}", [str(BIN / "inferjobs"), "worker"], self.env)
            for n in range(count)
        ]
        for proc in added:
            proc.wait_for("serving", 120)
        self.workers += added
        return added


def stack_env(data_dir: Path, database: str, extra: dict[str, str] | None) -> dict[str, str]:
    env = {
        "INFERJOBS_DATA_DIR": str(data_dir),
        "INFERJOBS_LOG_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
    }
    if database == "postgres":
        env["INFERJOBS_DATABASE__URL"] = pg_url(PG_DBNAME)
    return {**env, **(extra or {})}


@contextmanager
def inferjobs(
    log_dir: Path, database: str, workers: int, env: dict[str, str] | None = None
) -> Iterator[Stack]:
    """A fresh inferjobs (empty database) with `workers` worker processes; stopped on exit."""
    data_dir = Path(tempfile.mkdtemp(prefix="bench-inferjobs-"))
    if database == "postgres":
        recreate_database(PG_DBNAME)
    full_env = stack_env(data_dir, database, env)
    procs = Processes(log_dir)
    spies: list[Proc] = []
    try:
        api, url = start_api(procs, full_env)
        key = (data_dir / "default-api-key").read_text().strip()
        stack = Stack(url, key, api, [], full_env, procs, data_dir, database)
        stack.add_workers(workers)
        spies = _profile(stack, log_dir)
        yield stack
    finally:
        stop_spies(spies)
        procs.stop()
        if database == "postgres":
            drop_database(PG_DBNAME)
        shutil.rmtree(data_dir, ignore_errors=True)


def _profile(stack: Stack, log_dir: Path) -> list[Proc]:
    """With --profile, a `py-spy record` (raw collapsed stacks) on the API and each worker."""
    if "dir" not in PROFILE:
        return []
    out = PROFILE["dir"] / log_dir.name
    out.mkdir(parents=True, exist_ok=True)
    targets = {"api": stack.api, **{p.name: p for p in stack.workers}}
    return [spy(stack.procs, name, p.pid, out / f"{name}.txt") for name, p in targets.items()]


def spy(procs: Processes, name: str, pid: int, output: Path) -> Proc:
    """`py-spy record` on one process, raw collapsed stacks to `output`; stop it with SIGINT."""
    output.parent.mkdir(parents=True, exist_ok=True)
    args = [
        str(BIN / "py-spy"), "record", "--format", "raw", "--rate", "200", "--subprocesses",
        "--pid", str(pid), "--output", str(output),
    ]  # fmt: skip
    return procs.start(f"py-spy-{name}", args)


def stop_spies(spies: list[Proc]) -> None:
    for proc in spies:
        proc.popen.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        proc.popen.wait(30)


def start_api(procs: Processes, env: dict[str, str]) -> tuple[Proc, str]:
    port = free_port()
    args = [str(BIN / "inferjobs"), "serve", "--no-worker", "--host", HOST, "--port", str(port)]
    api = procs.start("api", args, env)
    url = f"http://{HOST}:{port}"
    wait_until(lambda: _ready(url), 120, api.describe)
    return api, url


def _ready(url: str) -> bool:
    try:
        return httpx.get(f"{url}/api/ready", timeout=2).status_code == 200
    except httpx.TransportError:
        return False
