"""Lazy expansions (S3 folders, JDBC queries): claimed under a lease, saved page by page."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, update

from inferjobs.domain.status import JobStatus
from inferjobs.storage import job_rows, outcomes
from inferjobs.storage.db import Database, now_ms
from inferjobs.storage.job_rows import NewItem
from inferjobs.storage.tables import expansions, jobs


@dataclass(frozen=True)
class Expansion:
    job_id: str
    fence: int
    cursor: dict[str, Any]
    items_added: int


def claim(db: Database, worker_id: str, lease_ms: int) -> Expansion | None:
    now = now_ms()
    picked = (
        select(expansions.c.job_id)
        .where(
            or_(
                expansions.c.state == "pending",
                and_(expansions.c.state == "running", expansions.c.lease_expires_at < now),
            )
        )
        .limit(1)
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    statement = (
        update(expansions)
        .where(expansions.c.job_id == picked)
        .values(
            state="running",
            fence=expansions.c.fence + 1,
            lease_owner=worker_id,
            lease_expires_at=now + lease_ms,
            updated_at=now,
        )
        .returning(
            expansions.c.job_id, expansions.c.fence, expansions.c.cursor, expansions.c.items_added
        )
    )
    with db.write() as conn:
        row = conn.execute(statement).first()
        if row is not None:
            conn.execute(
                update(jobs)
                .where(jobs.c.id == row.job_id, jobs.c.status == JobStatus.SUBMITTED)
                .values(status=JobStatus.IN_PROGRESS, started_at=now, updated_at=now)
            )
    return Expansion(row.job_id, row.fence, dict(row.cursor), row.items_added) if row else None


def _held(expansion: Expansion, worker_id: str) -> tuple[ColumnElement[bool], ...]:
    """Still this worker's claim: same owner, same fencing token, still running."""
    return (
        expansions.c.job_id == expansion.job_id,
        expansions.c.fence == expansion.fence,
        expansions.c.lease_owner == worker_id,
        expansions.c.state == "running",
    )


def save_page(
    db: Database,
    expansion: Expansion,
    worker_id: str,
    lease_ms: int,
    cursor: dict[str, Any],
    new_items: Sequence[NewItem],
    job: Any,
) -> Expansion | None:
    """Queue a page of items and move the cursor, atomically; None if the claim was lost."""
    now = now_ms()
    with db.write() as conn:
        moved = conn.execute(
            update(expansions)
            .where(*_held(expansion, worker_id))
            .values(
                cursor=cursor,
                items_added=expansions.c.items_added + len(new_items),
                lease_expires_at=now + lease_ms,
                updated_at=now,
            )
        )
        if not moved.rowcount:
            return None
        if new_items:
            job_rows.enqueue_items(
                conn,
                job.id,
                job.account_id,
                f"{job.model_id}:{job.model_version}",
                job.priority,
                new_items,
            )
            conn.execute(
                update(jobs)
                .where(jobs.c.id == job.id)
                .values(
                    total=jobs.c.total + len(new_items),
                    input_bytes=jobs.c.input_bytes + sum(i.size for i in new_items),
                    updated_at=now,
                )
            )
    return Expansion(
        expansion.job_id, expansion.fence, cursor, expansion.items_added + len(new_items)
    )


def finish(db: Database, expansion: Expansion, worker_id: str, error: str | None) -> None:
    """End the expansion: the job completes when its items do, or ends as ERROR."""
    now = now_ms()
    with db.write() as conn:
        done = conn.execute(
            update(expansions)
            .where(*_held(expansion, worker_id))
            .values(state="done", lease_owner=None, updated_at=now)
        )
        if not done.rowcount:
            return
        conn.execute(update(jobs).where(jobs.c.id == expansion.job_id).values(expanding=False))
        total = conn.execute(select(jobs.c.total).where(jobs.c.id == expansion.job_id)).scalar()
        if error is None and not total:
            error = "the source produced no items"
        if error is not None:
            outcomes.end_job(conn, expansion.job_id, JobStatus.ERROR, error)
        else:
            outcomes.complete_finished_jobs(conn, [expansion.job_id], now)
