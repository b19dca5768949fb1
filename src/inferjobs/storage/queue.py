"""The queue: claim items under a lease, extend leases, release them, reap expired ones.

One code path serves both databases. On PostgreSQL the claim's sub-select takes row locks with
FOR UPDATE SKIP LOCKED, so concurrent workers never wait on each other. SQLite has no row locks
(SQLAlchemy drops FOR UPDATE there); `Database.write()` opens the transaction with
BEGIN IMMEDIATE, which serialises claimers on the database's write lock instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import and_, bindparam, func, select, union_all, update

from inferjobs.domain.status import ItemStatus, JobStatus
from inferjobs.storage.db import Database, now_ms
from inferjobs.storage.tables import items, jobs


@dataclass(frozen=True)
class Claim:
    """A worker's hold on one item. `fence` rejects the write of a worker whose lease was lost."""

    item_id: int
    job_id: str
    name: str
    fence: int
    attempts: int
    queued_at: int


CLAIM_COLUMNS = (
    items.c.id,
    items.c.job_id,
    items.c.name,
    items.c.fence,
    items.c.attempts,
    items.c.queued_at,
)


@cache
def _heads_query(count: int) -> Any:
    """The head item of each of `count` model versions (bound as m0, m1, ...), in one
    statement of one index probe each: an IN list over all of them would sort the queue."""
    heads = [
        select(items.c.priority, items.c.fair_rank, items.c.id, items.c.model_key)
        .where(items.c.status == ItemStatus.PENDING, items.c.model_key == bindparam(f"m{n}"))
        .order_by(items.c.priority.desc(), items.c.fair_rank, items.c.id)
        .limit(1)
        .subquery()
        for n in range(count)
    ]
    return union_all(*(select(*head.c) for head in heads))


def next_model_key(db: Database, served: Sequence[str]) -> str | None:
    """The model version whose head item should run next (priority, then fair rank)."""
    if not served:
        return None
    params = {f"m{n}": key for n, key in enumerate(served)}
    with db.read() as conn:
        rows = conn.execute(_heads_query(len(served)), params).all()
    heads = [((-row.priority, row.fair_rank, row.id), row.model_key) for row in rows]
    return str(min(heads)[1]) if heads else None


@cache
def _claim_statement() -> Any:
    """Built once: statements are costly to construct, cheap to run again."""
    picked = (
        select(items.c.id)
        .where(items.c.status == ItemStatus.PENDING, items.c.model_key == bindparam("model"))
        .order_by(items.c.priority.desc(), items.c.fair_rank, items.c.id)
        .limit(bindparam("limit"))
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    return (
        update(items)
        .where(items.c.id.in_(picked))
        .values(
            status=ItemStatus.RUNNING,
            fence=items.c.fence + 1,
            attempts=items.c.attempts + 1,
            lease_owner=bindparam("worker"),
            lease_expires_at=bindparam("expires"),
            started_at=func.coalesce(items.c.started_at, bindparam("now")),
        )
        .returning(*CLAIM_COLUMNS)
    )


@cache
def _start_statement() -> Any:
    return (
        update(jobs)
        .where(
            jobs.c.id.in_(bindparam("jobs", expanding=True)), jobs.c.status == JobStatus.SUBMITTED
        )
        .values(
            status=JobStatus.IN_PROGRESS, started_at=bindparam("now"), updated_at=bindparam("now")
        )
    )


def claim(
    db: Database,
    worker_id: str,
    model_key: str,
    limit: int,
    lease_ms: int,
    started: set[str] | None = None,
) -> list[Claim]:
    """Take up to `limit` pending items of one model version, in queue order.

    Their jobs become IN_PROGRESS; `started` (the caller's memory of jobs it already saw
    started) spares that update for the following batches of the same jobs.
    """
    now = now_ms()
    params = {
        "model": model_key,
        "limit": limit,
        "worker": worker_id,
        "expires": now + lease_ms,
        "now": now,
    }
    with db.write() as conn:
        claims = [Claim(*row) for row in conn.execute(_claim_statement(), params)]
        fresh = sorted({c.job_id for c in claims} - (started or set()))
        if fresh:
            conn.execute(_start_statement(), {"jobs": fresh, "now": now})
    if started is not None:
        if len(started) > 10_000:
            started.clear()
        started.update(fresh)
    claims.sort(key=lambda c: c.item_id)
    return claims


def extend(db: Database, worker_id: str, claims: Sequence[Claim], lease_ms: int) -> set[int]:
    """Extend the leases this worker still holds; returns the ids it still holds."""
    if not claims:
        return set()
    statement = (
        update(items)
        .where(
            items.c.id.in_([c.item_id for c in claims]),
            items.c.status == ItemStatus.RUNNING,
            items.c.lease_owner == worker_id,
        )
        .values(lease_expires_at=now_ms() + lease_ms)
        .returning(items.c.id, items.c.fence)
    )
    fences = {c.item_id: c.fence for c in claims}
    with db.write() as conn:
        return {row.id for row in conn.execute(statement) if fences[row.id] == row.fence}


def release(db: Database, worker_id: str, claims: Sequence[Claim]) -> int:
    """Give items back to the queue unfinished (graceful stop); their attempt is not counted."""
    if not claims:
        return 0
    statement = (
        update(items)
        .where(
            items.c.id.in_([c.item_id for c in claims]),
            items.c.status == ItemStatus.RUNNING,
            items.c.lease_owner == worker_id,
        )
        .values(
            status=ItemStatus.PENDING,
            lease_owner=None,
            lease_expires_at=None,
            attempts=items.c.attempts - 1,
        )
    )
    with db.write() as conn:
        return conn.execute(statement).rowcount or 0


def requeue_expired(db: Database, max_attempts: int) -> int:
    """Put items whose lease expired back in the queue (their worker died or hung)."""
    expired = and_(
        items.c.status == ItemStatus.RUNNING,
        items.c.lease_expires_at < now_ms(),
        items.c.attempts < max_attempts,
    )
    statement = (
        update(items)
        .where(expired)
        .values(status=ItemStatus.PENDING, lease_owner=None, lease_expires_at=None)
    )
    with db.write() as conn:
        return conn.execute(statement).rowcount or 0


def exhausted(db: Database, max_attempts: int) -> list[Claim]:
    """Running items whose lease expired after their last allowed attempt."""
    query = (
        select(*CLAIM_COLUMNS)
        .where(
            items.c.status == ItemStatus.RUNNING,
            items.c.lease_expires_at < now_ms(),
            items.c.attempts >= max_attempts,
        )
        .limit(1000)
    )
    with db.read() as conn:
        return [Claim(*row) for row in conn.execute(query)]


def still_held(db: Database, worker_id: str, claims: Sequence[Claim]) -> set[int]:
    """Ids of `claims` this worker still holds under the same fencing token."""
    if not claims:
        return set()
    query = select(items.c.id, items.c.fence).where(
        items.c.id.in_([c.item_id for c in claims]),
        items.c.status == ItemStatus.RUNNING,
        items.c.lease_owner == worker_id,
    )
    fences = {c.item_id: c.fence for c in claims}
    with db.read() as conn:
        return {row.id for row in conn.execute(query) if fences[row.id] == row.fence}
