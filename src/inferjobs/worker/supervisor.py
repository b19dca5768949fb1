"""Supervise one model process: start it, send batches, and kill it when it crashes, hangs,
leaks memory past its limit, or its batch is canceled."""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from inferjobs.domain.model_spec import ModelSpec
from inferjobs.errors import InferJobsError
from inferjobs.predictors.base import ItemInput
from inferjobs.worker import child

log = logging.getLogger(__name__)
POLL_SECONDS = 0.05
CHECK_SECONDS = 0.5


class ModelLoadError(InferJobsError):
    """The model could not be loaded: the jobs that need it end as ERROR."""


class ProcessFailure(InferJobsError):
    """The model process died, hung or leaked; it has been killed."""


class Aborted(InferJobsError):
    """The batch was interrupted because its items were canceled or taken over."""


class ModelProcess:
    """One child process running one model version."""

    def __init__(self, spec: ModelSpec, cache_dir: str, memory_limit_mib: int) -> None:
        self.spec = spec
        self.cache_dir = cache_dir
        self.memory_limit_mib = memory_limit_mib
        self.process: BaseProcess | None = None
        self.conn: Connection | None = None
        self.load_ms = 0.0

    @property
    def threads(self) -> int:
        """Compute threads for the model: the whole CPUs it declared, at least one."""
        return max(1, round(self.spec.requirement.cpu_millis / 1000))

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.is_alive()

    def start(self) -> None:
        context = multiprocessing.get_context("spawn")
        parent, child_end = context.Pipe()
        process = context.Process(
            target=child.serve,
            args=(child_end, self.spec.key, self.cache_dir, self.threads),
            name=f"model-{self.spec.key}",
            daemon=True,
        )
        process.start()
        child_end.close()
        self.process, self.conn = process, parent
        kind, value = self._receive(self.spec.timeout_status_ms / 1000, None, "loading")
        if kind == "load_failed":
            self.stop()
            raise ModelLoadError(f"model {self.spec.key} failed to load: {value}")
        self.load_ms = float(value)
        log.info("model %s loaded in %.0f ms (pid %s)", self.spec.key, self.load_ms, process.pid)

    def predict(self, items: Sequence[ItemInput], abort: Callable[[], bool]) -> list[child.Result]:
        """Run a batch. Raises ProcessFailure (process killed) or Aborted (batch interrupted)."""
        self.send(items)
        return self.receive(abort)[0]

    def send(self, items: Sequence[ItemInput]) -> None:
        """Hand a batch to the model process (started first if it is not running)."""
        if not self.alive:
            self.start()
        assert self.conn is not None
        with contextlib.suppress(OSError):  # the process just died: `receive` reports it
            self.conn.send(("predict", list(items)))

    def receive(self, abort: Callable[[], bool]) -> tuple[list[child.Result], float]:
        """The outputs of the batch sent last and the model's compute time in ms."""
        _, (outputs, compute_ms) = self._receive(
            self.spec.timeout_run_ms / 1000, abort, "predicting"
        )
        results: list[child.Result] = outputs
        return results, float(compute_ms)

    def _receive(
        self, timeout: float, abort: Callable[[], bool] | None, doing: str
    ) -> tuple[str, Any]:
        assert self.conn is not None and self.process is not None
        deadline = time.monotonic() + timeout
        next_check = time.monotonic() + CHECK_SECONDS
        while not self.conn.poll(POLL_SECONDS):
            if not self.process.is_alive():
                code = self.process.exitcode
                self.stop()
                raise ProcessFailure(f"the model process exited with code {code} while {doing}")
            if time.monotonic() > deadline:
                self.stop()
                raise ProcessFailure(
                    f"the model took longer than {timeout * 1000:.0f} ms "
                    f"while {doing}; its process was killed"
                )
            if time.monotonic() >= next_check:
                next_check = time.monotonic() + CHECK_SECONDS
                self._check_memory(doing)
                if abort is not None and abort():
                    self.stop()
                    raise Aborted("the batch was interrupted: its items were canceled")
        try:
            message: tuple[str, Any] = self.conn.recv()
        except (EOFError, OSError):
            self.process.join(2)  # the pipe closes a moment before the exit code is known
            code = self.process.exitcode
            self.stop()
            raise ProcessFailure(
                f"the model process exited with code {code} while {doing}"
            ) from None
        return message

    def _check_memory(self, doing: str) -> None:
        rss = rss_mib(self.process.pid if self.process else None)
        if self.memory_limit_mib and rss > self.memory_limit_mib:
            self.stop()
            raise ProcessFailure(
                f"the model process used {rss} MiB, over its limit of "
                f"{self.memory_limit_mib} MiB, while {doing}; it was killed"
            )

    def rss_mib(self) -> int:
        return rss_mib(self.process.pid if self.process else None)

    def stop(self) -> None:
        if self.process is not None and self.process.is_alive():
            self.process.kill()
            self.process.join(5)
        if self.conn is not None:
            self.conn.close()
        self.process, self.conn = None, None


def rss_mib(pid: int | None) -> int:
    """Resident memory of a process in MiB (0 when it is gone)."""
    if pid is None:
        return 0
    try:
        with open(f"/proc/{pid}/statm") as statm:
            pages = int(statm.read().split()[1])
    except (OSError, ValueError, IndexError):
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)
