"""What the live workers serve, from their heartbeats."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from inferjobs.storage.db import Database, now_ms
from inferjobs.storage.tables import workers


def live_worker_counts(db: Database, lease_seconds: float) -> dict[str, int]:
    """Model key -> number of workers that heartbeated within a lease and serve it."""
    since = now_ms() - int(lease_seconds * 1000)
    query = select(workers.c.models).where(
        workers.c.status == "running", workers.c.heartbeat_at >= since
    )
    counts: Counter[str] = Counter()
    with db.read() as conn:
        for served in conn.execute(query).scalars():
            counts.update(served)
    return dict(counts)
