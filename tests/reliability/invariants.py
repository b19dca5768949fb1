"""What must hold after any fault: one terminal outcome per item, one result, exact counters."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from inferjobs.storage.db import Database
from inferjobs.storage.tables import items, jobs, results

TERMINAL_ITEM = {"SUCCESSFUL", "FAILED", "CANCELED", "TIMEDOUT"}
WITH_RESULT = {"SUCCESSFUL", "FAILED"}


@dataclass
class Tally:
    """Counts over the checked jobs; `lost` and `duplicates` must be 0."""

    items: int = 0
    statuses: Counter[str] = field(default_factory=Counter)
    results: int = 0
    retried: int = 0
    lost: int = 0  # items with no terminal outcome
    duplicates: int = 0  # results beyond one per item, or for an item that has none
    problems: list[str] = field(default_factory=list)


def check(db: Database, job_ids: list[str]) -> Tally:
    """Check every job and return the tally; `assert_sound` fails on any problem."""
    tally = Tally()
    with db.read() as conn:
        for job_id in job_ids:
            _check_job(conn, job_id, tally)
    return tally


def assert_sound(db: Database, job_ids: list[str]) -> Tally:
    tally = check(db, job_ids)
    assert tally.lost == 0, tally.problems[:20]
    assert tally.duplicates == 0, tally.problems[:20]
    assert not tally.problems, tally.problems[:20]
    return tally


def _check_job(conn: Any, job_id: str, tally: Tally) -> None:
    job = conn.execute(select(jobs).where(jobs.c.id == job_id)).one()
    rows = conn.execute(select(items.c.id, items.c.status).where(items.c.job_id == job_id)).all()
    by_status = Counter(r.status for r in rows)
    per_item = dict(
        conn.execute(
            select(results.c.item_id, func.count())
            .where(results.c.job_id == job_id)
            .group_by(results.c.item_id)
        ).all()
    )
    result_status = dict(
        conn.execute(
            select(results.c.item_id, results.c.status).where(results.c.job_id == job_id)
        ).all()
    )
    tally.items += len(rows)
    tally.statuses.update(by_status)
    tally.results += sum(per_item.values())
    tally.retried += int(
        conn.execute(
            select(func.count()).where(results.c.job_id == job_id, results.c.attempts > 1)
        ).scalar_one()
    )
    for item_id, status in rows:
        count = per_item.get(item_id, 0)
        if status not in TERMINAL_ITEM:
            tally.lost += 1
            tally.problems.append(f"item {item_id} of job {job_id} is still {status}")
        expected = 1 if status in WITH_RESULT else 0
        if count > expected:
            tally.duplicates += count - expected
            tally.problems.append(f"item {item_id} ({status}) has {count} results")
        elif count < expected:
            tally.problems.append(f"item {item_id} ({status}) has no result")
        elif count and result_status[item_id] != status:
            tally.problems.append(
                f"item {item_id} is {status}, its result {result_status[item_id]}"
            )
    _check_counters(job, len(rows), by_status, tally)


def _check_counters(job: Any, count: int, by_status: Counter[str], tally: Tally) -> None:
    expected = {
        "total": count,
        "completed": by_status["SUCCESSFUL"],
        "failed": by_status["FAILED"],
        "canceled": by_status["CANCELED"] + by_status["TIMEDOUT"],
    }
    actual = {name: getattr(job, name) for name in expected}
    if actual != expected:
        tally.problems.append(f"job {job.id} counters {actual} but its items say {expected}")
    if job.status not in ("COMPLETED", "CANCELED", "TIMEDOUT", "ERROR"):
        tally.problems.append(f"job {job.id} is still {job.status}")
