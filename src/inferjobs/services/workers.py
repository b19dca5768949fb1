"""What the live workers serve and can fit, from their heartbeats; why items may wait."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from inferjobs.domain.model_spec import ModelSpec
from inferjobs.storage.db import Database, now_ms
from inferjobs.storage.tables import workers


@dataclass(frozen=True)
class LiveWorker:
    id: str
    models: list[str]
    capacity: dict[str, Any]


def live_workers(db: Database, lease_seconds: float) -> list[LiveWorker]:
    """Workers that are running and heartbeated within one lease."""
    since = now_ms() - int(lease_seconds * 1000)
    query = select(workers.c.id, workers.c.models, workers.c.capacity).where(
        workers.c.status == "running", workers.c.heartbeat_at >= since
    )
    with db.read() as conn:
        return [
            LiveWorker(r.id, list(r.models), dict(r.capacity or {})) for r in conn.execute(query)
        ]


def live_worker_counts(db: Database, lease_seconds: float) -> dict[str, int]:
    """Model key -> number of live workers serving it."""
    counts: Counter[str] = Counter()
    for worker in live_workers(db, lease_seconds):
        counts.update(worker.models)
    return dict(counts)


def waiting_reason(spec: ModelSpec, live: list[LiveWorker]) -> str | None:
    """Why items of `spec` cannot run now, or None when some live worker serves it."""
    if any(spec.key in w.models for w in live):
        return None
    if not live:
        return f"no live worker is running: items of {spec.key} wait until one starts"
    need = spec.requirement
    fitting = [
        w
        for w in live
        if need.cpu_millis <= w.capacity.get("cpuMillis", 0)
        and need.memory_mib <= w.capacity.get("memoryMib", 0)
        and need.gpu_units <= w.capacity.get("gpus", 0)
    ]
    if not fitting:
        largest = max(
            live, key=lambda w: (w.capacity.get("gpus", 0), w.capacity.get("memoryMib", 0))
        )
        have = largest.capacity
        return (
            f"no live worker can serve {spec.key}: it needs {need.cpu_millis}m CPU, "
            f"{need.memory_mib} MiB memory and {need.gpu_units} GPU; the largest live "
            f"worker has {have.get('cpuMillis', 0)}m CPU, {have.get('memoryMib', 0)} MiB "
            f"and {have.get('gpus', 0)} GPU"
        )
    return (
        f"no live worker serves {spec.key}: it is not installed or not enabled on the "
        f"{len(live)} live worker(s)"
    )
