"""Writing what happened: item outcomes (fenced, once), job counters and job endings.

Job status is derived in the same transaction that changes the item counts.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, bindparam, case, delete, insert, select, text, update
from sqlalchemy.engine import Dialect

from inferjobs.domain.status import ACTIVE_JOB_STATUSES, ItemStatus, JobStatus
from inferjobs.storage.db import Database, now_ms
from inferjobs.storage.queue import Claim
from inferjobs.storage.tables import expansions, items, job_secrets, jobs, results

_UNFINISHED = (ItemStatus.PENDING.value, ItemStatus.RUNNING.value)
_OPEN_OR_ACTIVE = (JobStatus.OPEN.value, *ACTIVE_JOB_STATUSES)


@dataclass(frozen=True)
class Outcome:
    claim: Claim
    status: ItemStatus  # SUCCESSFUL or FAILED
    outputs: dict[str, Any] | None = None
    error: str | None = None
    engine: str = ""
    started_at: int = 0
    model_latency_ms: float = 0.0
    fetch_ms: int = 0


def record(db: Database, outcomes: Sequence[Outcome], worker_id: str | None) -> list[Outcome]:
    """Write outcomes whose claim is still current; returns those accepted.

    An outcome is rejected when the item is no longer running under the same fencing token:
    it was canceled, timed out, or its lease expired and another worker took it over.
    """
    if not outcomes:
        return []
    now = now_ms()
    with db.write() as conn:
        accepted = _current(conn, outcomes, worker_id)
        if accepted:
            _write(conn, accepted, now)
    return accepted


@cache
def _fences(owned: bool) -> Any:
    query = (
        select(items.c.id, items.c.fence)
        .where(
            items.c.id.in_(bindparam("ids", expanding=True)), items.c.status == ItemStatus.RUNNING
        )
        .order_by(items.c.id)
        .with_for_update()
    )
    return query.where(items.c.lease_owner == bindparam("worker")) if owned else query


@cache
def _finish_items() -> Any:
    failed = items.c.id.in_(bindparam("failed", expanding=True))
    return (
        update(items)
        .where(items.c.id.in_(bindparam("ids", expanding=True)))
        .values(
            status=case((failed, ItemStatus.FAILED.value), else_=ItemStatus.SUCCESSFUL.value),
            lease_owner=None,
            lease_expires_at=None,
        )
    )


@cache
def _count() -> Any:
    done = jobs.c.completed + jobs.c.failed + jobs.c.canceled >= jobs.c.total
    return (
        update(jobs)
        .where(jobs.c.id == bindparam("job"))
        .values(
            completed=jobs.c.completed + bindparam("done"),
            failed=jobs.c.failed + bindparam("bad"),
            updated_at=bindparam("now"),
        )
        .returning(done)
    )


def _current(conn: Connection, outcomes: Sequence[Outcome], worker_id: str | None) -> list[Outcome]:
    params: dict[str, Any] = {"ids": [o.claim.item_id for o in outcomes]}
    if worker_id is not None:
        params["worker"] = worker_id
    fences = {row.id: row.fence for row in conn.execute(_fences(worker_id is not None), params)}
    return [o for o in outcomes if fences.get(o.claim.item_id) == o.claim.fence]


def _write(conn: Connection, accepted: Sequence[Outcome], now: int) -> None:
    conn.execute(
        _finish_items(),
        {
            "ids": [o.claim.item_id for o in accepted],
            "failed": [o.claim.item_id for o in accepted if o.status == ItemStatus.FAILED],
        },
    )
    rows = [_result_row(o, now) for o in accepted]
    if conn.dialect.name == "postgresql":  # one statement, not one per row
        rows = [{**row, "outputs": json.dumps(row["outputs"])} for row in rows]
        arrays = {c.name: [row[c.name] for row in rows] for c in results.c}
        conn.execute(_insert_results_pg(conn.dialect), arrays)
    else:
        conn.execute(insert(results), rows)
    completed = Counter(o.claim.job_id for o in accepted if o.status == ItemStatus.SUCCESSFUL)
    failed = Counter(o.claim.job_id for o in accepted if o.status == ItemStatus.FAILED)
    job_ids = sorted(set(completed) | set(failed))
    if len(job_ids) == 1:
        counts = {
            "job": job_ids[0],
            "done": completed[job_ids[0]],
            "bad": failed[job_ids[0]],
            "now": now,
        }
        finished = job_ids if conn.execute(_count(), counts).scalar() else []
    else:
        finished = _count_many(conn, job_ids, completed, failed, now)
    complete_finished_jobs(conn, finished, now)


def _plus(column: Any, counts: Counter[str]) -> Any:
    return column + case(dict(counts), value=jobs.c.id, else_=0) if counts else column


def _count_many(
    conn: Connection, job_ids: list[str], completed: Counter[str], failed: Counter[str], now: int
) -> list[str]:
    """Add a batch's outcomes to several jobs in one statement; returns the jobs now done."""
    # Lock the rows in id order first: concurrent workers then never deadlock on them.
    conn.execute(
        select(jobs.c.id)
        .where(jobs.c.id.in_(job_ids))
        .order_by(jobs.c.id)
        .with_for_update(key_share=True)
    )
    done = jobs.c.completed + jobs.c.failed + jobs.c.canceled >= jobs.c.total
    rows = conn.execute(
        update(jobs)
        .where(jobs.c.id.in_(job_ids))
        .values(
            completed=_plus(jobs.c.completed, completed),
            failed=_plus(jobs.c.failed, failed),
            updated_at=now,
        )
        .returning(jobs.c.id, done)
    )
    return [job_id for job_id, is_done in rows if is_done]


@cache
def _insert_results_pg(dialect: Dialect) -> Any:
    """One INSERT of a batch's results from one array per column (types from the table)."""
    arrays = (f"CAST(:{c.name} AS {c.type.compile(dialect=dialect)}[])" for c in results.c)
    columns = ", ".join(c.name for c in results.c)
    return text(f"INSERT INTO results ({columns}) SELECT * FROM unnest({', '.join(arrays)})")


def _result_row(outcome: Outcome, now: int) -> dict[str, Any]:
    claim = outcome.claim
    started = outcome.started_at or now
    return {
        "item_id": claim.item_id,
        "job_id": claim.job_id,
        "status": outcome.status.value,
        "outputs": outcome.outputs,
        "error": outcome.error,
        "engine": outcome.engine,
        "attempts": claim.attempts,
        "queue_ms": max(0, started - claim.queued_at),
        "model_latency_ms": outcome.model_latency_ms,
        "fetch_ms": outcome.fetch_ms,
        "started_at": started,
        "ended_at": now,
    }


def complete_finished_jobs(conn: Connection, job_ids: Sequence[str], now: int) -> None:
    """Mark COMPLETED the jobs whose every item has an outcome (and that are fully expanded)."""
    if not job_ids:
        return
    done = jobs.c.completed + jobs.c.failed + jobs.c.canceled >= jobs.c.total
    finished = (
        conn.execute(
            update(jobs)
            .where(
                jobs.c.id.in_(job_ids),
                jobs.c.status.in_(ACTIVE_JOB_STATUSES),
                done,
                jobs.c.expanding.is_(False),
            )
            .values(status=JobStatus.COMPLETED, finished_at=now, updated_at=now)
            .returning(jobs.c.id)
        )
        .scalars()
        .all()
    )
    forget_secrets(conn, finished)


def forget_secrets(conn: Connection, job_ids: Sequence[str]) -> None:
    """A job's source credentials are deleted as soon as it ends."""
    if job_ids:
        conn.execute(delete(job_secrets).where(job_secrets.c.job_id.in_(job_ids)))


def end_job(conn: Connection, job_id: str, status: JobStatus, reason: str | None) -> bool:
    """End an open or active job as CANCELED, TIMEDOUT or ERROR; unfinished items end with it.

    Pending items are dropped at once; running ones lose their claim, so their worker's late
    write is rejected. For ERROR the unfinished items fail with the reason.
    """
    now = now_ms()
    # Lock the unfinished items before the job row, in id order, as `record` and `claim` do
    # (items, then the job): the other order deadlocks with a worker writing outcomes.
    conn.execute(
        select(items.c.id)
        .where(items.c.job_id == job_id, items.c.status.in_(_UNFINISHED))
        .order_by(items.c.id)
        .with_for_update()
    )
    ended = conn.execute(
        update(jobs)
        .where(jobs.c.id == job_id, jobs.c.status.in_(_OPEN_OR_ACTIVE))
        .values(status=status, error=reason, finished_at=now, updated_at=now)
    )
    if not ended.rowcount:
        return False
    forget_secrets(conn, [job_id])
    conn.execute(update(expansions).where(expansions.c.job_id == job_id).values(state="done"))
    conn.execute(update(jobs).where(jobs.c.id == job_id).values(expanding=False))
    item_status = {
        JobStatus.CANCELED: ItemStatus.CANCELED,
        JobStatus.TIMEDOUT: ItemStatus.TIMEDOUT,
    }.get(status, ItemStatus.FAILED)
    stopped = conn.execute(
        update(items)
        .where(items.c.job_id == job_id, items.c.status.in_(_UNFINISHED))
        .values(status=item_status, lease_owner=None, lease_expires_at=None)
        .returning(items.c.id, items.c.started_at, items.c.attempts)
    ).all()
    if not stopped:
        return True
    if item_status == ItemStatus.FAILED:
        conn.execute(
            insert(results),
            [
                {
                    "item_id": row.id,
                    "job_id": job_id,
                    "status": "FAILED",
                    "error": reason,
                    "attempts": row.attempts,
                    "started_at": row.started_at,
                    "ended_at": now,
                }
                for row in stopped
            ],
        )
        counter = {"failed": jobs.c.failed + len(stopped)}
    else:
        counter = {"canceled": jobs.c.canceled + len(stopped)}
    conn.execute(update(jobs).where(jobs.c.id == job_id).values(**counter))
    return True


def timed_out_jobs(db: Database) -> list[str]:
    """Active jobs that have run past their timeout."""
    query = select(jobs.c.id).where(
        jobs.c.status.in_(ACTIVE_JOB_STATUSES),
        jobs.c.submitted_at + jobs.c.timeout_ms < now_ms(),
    )
    with db.read() as conn:
        return list(conn.execute(query).scalars())
