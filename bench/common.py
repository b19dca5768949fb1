"""Shared helpers: sizes, child processes, ports, waiting, and statistics."""

from __future__ import annotations

import math
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"


@dataclass(frozen=True)
class Sizes:
    """How big each scenario is; `smoke()` gives the tiny sizes of the smoke mode."""

    rounds: int = 3
    queue_items: int = 20_000
    queue_job_size: int = 10  # shape (b): jobs of this many items
    queue_workers: tuple[int, ...] = (1, 2)
    queue_databases: tuple[str, ...] = ("sqlite", "postgres")
    clients: int = 8  # concurrent client threads submitting and reading back
    efficiency_items: int = 10_000
    efficiency_databases: tuple[str, ...] = ("sqlite", "postgres")
    latency_seconds: float = 10.0
    latency_clients: tuple[int, ...] = (1, 16, 64)
    latency_databases: tuple[str, ...] = ("sqlite", "postgres")
    history_jobs: int = 1_000_000
    history_keys: int = 20
    history_requests: int = 200
    history_page: int = 1_000
    memory_items: tuple[int, int] = (1_000, 100_000)
    scaling_workers: tuple[int, ...] = (1, 2, 4, 8)
    scaling_items_per_worker: int = 250
    scaling_sleep_ms: int = 20
    scaling_slots: int = 1  # concurrent batches per worker process (the service's default: cores)
    scaling_databases: tuple[str, ...] = ("postgres",)

    @classmethod
    def smoke(cls) -> Sizes:
        return cls(
            rounds=1,
            queue_items=200,
            queue_workers=(1,),
            clients=4,
            efficiency_items=200,
            efficiency_databases=("sqlite",),
            latency_seconds=1.0,
            latency_clients=(1, 8),
            latency_databases=("sqlite",),
            history_jobs=2_000,
            history_keys=2,
            history_requests=10,
            history_page=50,
            memory_items=(50, 500),
            scaling_workers=(2,),
            scaling_items_per_worker=10,
        )


@dataclass
class Proc:
    """A child process we started, with its output in a log file; stopped by its own PID."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 20.0) -> None:
        if not self.alive():
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(5)

    def wait_for(self, text: str, timeout: float = 60.0) -> None:
        """Wait until the process writes `text` to its log (e.g. a 'ready' line)."""
        wait_until(lambda: text in self.log.read_text(errors="replace"), timeout, self.describe)

    def describe(self) -> str:
        tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
        state = "running" if self.alive() else f"exited {self.popen.returncode}"
        return f"{self.name} (pid {self.pid}, {state}); log tail:\n{tail}"


@dataclass
class Processes:
    """Every child process of one measurement; stop() ends them in reverse start order."""

    log_dir: Path
    started: list[Proc] = field(default_factory=list)

    def start(self, name: str, args: Sequence[str], env: dict[str, str] | None = None) -> Proc:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = self.log_dir / f"{name}.log"
        with log.open("wb") as out:
            popen = subprocess.Popen(
                list(args),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
                cwd=ROOT,
            )
        proc = Proc(name, popen, log)
        self.started.append(proc)
        return proc

    def stop(self) -> None:
        for proc in reversed(self.started):
            proc.stop()
        self.started.clear()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def wait_until(
    check: Callable[[], bool], timeout: float, describe: Callable[[], str] = lambda: ""
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    raise TimeoutError(f"gave up after {timeout:.0f}s. {describe()}")


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def percentile(values: Sequence[float], pct: float) -> float:
    """Nearest-rank percentile (pct in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return float(ordered[rank - 1])


def ratio(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("nan")


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"
