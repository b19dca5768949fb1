"""Inserting jobs with their items and values, and reading job rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, bindparam, func, insert, select, update

from inferjobs.domain.status import ItemStatus
from inferjobs.storage.db import now_ms
from inferjobs.storage.tables import (
    accounts,
    expansions,
    item_values,
    items,
    job_secrets,
    jobs,
    users,
)


@dataclass(frozen=True)
class StoredValue:
    input_name: str
    media_type: str
    size: int
    data: bytes | None  # inline, or
    blob_key: str | None  # in the blob store, or
    ref: dict[str, str] | None = None  # an object in the job's external source


@dataclass(frozen=True)
class NewItem:
    name: str
    values: Sequence[StoredValue]

    @property
    def size(self) -> int:
        return sum(v.size for v in self.values)


def insert_job(conn: Connection, row: dict[str, Any]) -> None:
    conn.execute(_insert_job(), row)


@cache
def _insert_job() -> Any:
    return insert(jobs)


def insert_secret(
    conn: Connection, job_id: str, sealed: bytes, expansion: dict[str, Any] | None
) -> None:
    """Store a job's encrypted source settings, and its lazy expansion if it has one."""
    now = now_ms()
    conn.execute(insert(job_secrets).values(job_id=job_id, payload=sealed, created_at=now))
    if expansion is not None:
        conn.execute(
            insert(expansions).values(
                job_id=job_id,
                state="pending",
                cursor=expansion,
                items_added=0,
                fence=0,
                updated_at=now,
            )
        )


def enqueue_items(
    conn: Connection,
    job_id: str,
    account_id: str,
    model_key: str,
    priority: int,
    new_items: Sequence[NewItem],
) -> None:
    """Queue a job's items with fair ranks: each account's items continue from its own clock
    or from the head of the queue, whichever is later, so a large job cannot starve others."""
    now = now_ms()
    start = _fair_start(conn, account_id, model_key, priority, now)
    rows = [
        {
            "job_id": job_id,
            "name": item.name,
            "model_key": model_key,
            "status": ItemStatus.PENDING.value,
            "priority": priority,
            "fair_rank": start + i,
            "fence": 0,
            "attempts": 0,
            "input_bytes": item.size,
            "queued_at": now,
        }
        for i, item in enumerate(new_items)
    ]
    ids = conn.execute(_insert_items(), rows).scalars().all()
    values = [
        {
            "item_id": item_id,
            "input_name": v.input_name,
            "media_type": v.media_type,
            "size": v.size,
            "data": v.data,
            "blob_key": v.blob_key,
            "ref": v.ref,
        }
        for item_id, item in zip(ids, new_items, strict=True)
        for v in item.values
    ]
    conn.execute(_insert_values(), values)
    conn.execute(_set_clock(), {"account": account_id, "clock": start + len(new_items)})


# Statements are built once: building one costs more than running it again.
@cache
def _insert_items() -> Any:
    return insert(items).returning(items.c.id, sort_by_parameter_order=True)


@cache
def _insert_values() -> Any:
    return insert(item_values)


@cache
def _set_clock() -> Any:
    return (
        update(accounts)
        .where(accounts.c.id == bindparam("account"))
        .values(fair_clock=bindparam("clock"))
    )


@cache
def _clock() -> Any:
    return (
        select(accounts.c.fair_clock)
        .where(accounts.c.id == bindparam("account"))
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE: no deadlock with FK checks
    )


@cache
def _queue_head() -> Any:
    return select(func.min(items.c.fair_rank)).where(
        items.c.status == ItemStatus.PENDING,
        items.c.model_key == bindparam("model"),
        items.c.priority == bindparam("priority"),
    )


def _fair_start(conn: Connection, account_id: str, model_key: str, priority: int, now: int) -> int:
    clock = conn.execute(_clock(), {"account": account_id}).scalar_one()
    head = conn.execute(
        _queue_head(), {"model": model_key, "priority": priority}
    ).scalar_one_or_none()
    # With an empty queue the virtual clock is wall time (1 item = 1 ms), so old usage is
    # forgiven at that rate instead of weighing on an account for ever.
    return max(int(clock), int(head) if head is not None else now)


def job_query() -> Any:
    """Jobs joined with their submitting user: the columns every job view needs."""
    return select(
        jobs,
        users.c.first_name.label("user_first_name"),
        users.c.last_name.label("user_last_name"),
        users.c.email.label("user_email"),
        users.c.status.label("user_status"),
    ).join(users, users.c.id == jobs.c.user_id)


def load_job(conn: Connection, job_id: str) -> Row[Any] | None:
    return conn.execute(job_query().where(jobs.c.id == job_id)).first()


def item_names(conn: Connection, job_id: str, limit: int) -> list[str]:
    query = select(items.c.name).where(items.c.job_id == job_id).order_by(items.c.id).limit(limit)
    return list(conn.execute(query).scalars())
