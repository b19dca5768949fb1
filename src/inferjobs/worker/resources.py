"""What a worker has (CPU, memory, GPUs) and what its running model processes take."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from dataclasses import dataclass

from inferjobs.domain.model_spec import Requirement


@dataclass(frozen=True)
class Capacity:
    cpu_millis: int
    memory_mib: int
    gpus: int

    def fits(self, need: Requirement) -> bool:
        return (
            need.cpu_millis <= self.cpu_millis
            and need.memory_mib <= self.memory_mib
            and need.gpu_units <= self.gpus
        )

    def why_not(self, need: Requirement) -> str:
        """A person-readable reason why `need` does not fit, or '' when it does."""
        gaps = []
        if need.cpu_millis > self.cpu_millis:
            gaps.append(f"{need.cpu_millis}m CPU (has {self.cpu_millis}m)")
        if need.memory_mib > self.memory_mib:
            gaps.append(f"{need.memory_mib} MiB memory (has {self.memory_mib} MiB)")
        if need.gpu_units > self.gpus:
            gaps.append(f"{need.gpu_units} GPU (has {self.gpus})")
        return "needs " + ", ".join(gaps) if gaps else ""

    def as_json(self) -> dict[str, int]:
        return {"cpuMillis": self.cpu_millis, "memoryMib": self.memory_mib, "gpus": self.gpus}


def detect(cpus: float = 0, memory_mib: int = 0, gpus: int = -1) -> Capacity:
    """This machine's resources; each non-default argument overrides what is detected."""
    cores = cpus or float(len(os.sched_getaffinity(0)))
    memory = memory_mib or _memory_mib()
    return Capacity(int(cores * 1000), memory, gpus if gpus >= 0 else _gpus())


def _memory_mib() -> int:
    pages, size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return int(pages * size // (1024 * 1024))


def _gpus() -> int:
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip() and d.strip() != "-1"])
    if shutil.which("nvidia-smi") is None:
        return 0
    try:
        listing = subprocess.run(["nvidia-smi", "-L"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(1 for line in listing.stdout.splitlines() if line.startswith("GPU "))


class Ledger:
    """Reserves capacity for live model processes so that only as many run as fit."""

    def __init__(self, capacity: Capacity) -> None:
        self.capacity = capacity
        self._used = Requirement(0, 0, 0)
        self._lock = threading.Lock()

    def try_reserve(self, need: Requirement) -> bool:
        with self._lock:
            total = Requirement(
                self._used.cpu_millis + need.cpu_millis,
                self._used.memory_mib + need.memory_mib,
                self._used.gpu_units + need.gpu_units,
            )
            if not self.capacity.fits(total):
                return False
            self._used = total
            return True

    def release(self, need: Requirement) -> None:
        with self._lock:
            self._used = Requirement(
                self._used.cpu_millis - need.cpu_millis,
                self._used.memory_mib - need.memory_mib,
                self._used.gpu_units - need.gpu_units,
            )

    def fits_now(self, need: Requirement) -> bool:
        return self.fits_instead(need, Requirement(0, 0, 0))

    def fits_instead(self, need: Requirement, given_back: Requirement) -> bool:
        """Whether `need` would fit if `given_back` were released first."""
        with self._lock:
            free = Capacity(
                self.capacity.cpu_millis - self._used.cpu_millis + given_back.cpu_millis,
                self.capacity.memory_mib - self._used.memory_mib + given_back.memory_mib,
                self.capacity.gpus - self._used.gpu_units + given_back.gpu_units,
            )
        return free.fits(need)
