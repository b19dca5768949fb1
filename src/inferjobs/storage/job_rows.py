"""Inserting jobs with their items and values, and reading job rows."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from itertools import islice
from typing import Any

from sqlalchemy import (
    BigInteger,
    Connection,
    Row,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)

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

CHUNK_ITEMS = 2000  # items per INSERT: a large job is never held whole as rows


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


@dataclass(frozen=True)
class Reservation:
    """Fair ranks taken for a job's items, and the account's queued-items bound with them."""

    start: int  # the fair rank of the first item
    queued_bound: int | None  # None: unknown (limits.check_queue_room counts and sets it)


def enqueue_items(
    conn: Connection,
    job_id: str,
    account_id: str,
    model_key: str,
    priority: int,
    new_items: Sequence[NewItem],
) -> Reservation:
    """Queue a job's items with fair ranks (`reserve`, then `insert_items`)."""
    reservation = reserve(conn, account_id, model_key, priority, len(new_items))
    insert_items(conn, job_id, model_key, priority, reservation.start, new_items)
    return reservation


def reserve(
    conn: Connection, account_id: str, model_key: str, priority: int, count: int
) -> Reservation:
    """Take `count` fair ranks and add `count` to the account's queued-items bound, in one
    statement that locks the account row until the transaction ends (FOR NO KEY UPDATE: no
    deadlock with foreign key checks): call it late, concurrent submits of the account wait
    for each other from here on.

    Each account's items continue from its own clock or from the head of the queue, whichever
    is later, so a large job cannot starve others. With an empty queue the virtual clock is
    wall time (1 item = 1 ms), so old usage is forgiven at that rate instead of weighing on an
    account for ever.
    """
    params = _reserve_params(account_id, model_key, priority, count)
    return _reservation(conn.execute(_reserve(conn.dialect.name), params).one())


def insert_job_and_reserve(
    conn: Connection, row: dict[str, Any], model_key: str, count: int
) -> Reservation:
    """`insert_job`, then `reserve` for the job's account and priority: on PostgreSQL in one
    statement (the insert as a CTE of the account's update)."""
    if conn.dialect.name != "postgresql":
        insert_job(conn, row)
        return reserve(conn, row["account_id"], model_key, row["priority"], count)
    params = _reserve_params(row["account_id"], model_key, row["priority"], count)
    params.update({f"job_{name}": value for name, value in row.items()})
    return _reservation(conn.execute(_insert_job_and_reserve(tuple(row)), params).one())


def _reserve_params(account_id: str, model_key: str, priority: int, count: int) -> dict[str, Any]:
    return {
        "account": account_id,
        "model": model_key,
        "queue_priority": priority,
        "count": count,
        "now": now_ms(),
    }


def _reservation(row: Sequence[Any]) -> Reservation:
    bound = row[1]
    return Reservation(int(row[0]), None if bound is None else int(bound))


def set_queued_bound(conn: Connection, account_id: str, bound: int) -> None:
    conn.execute(update(accounts).where(accounts.c.id == account_id).values(queued_bound=bound))


def insert_items(
    conn: Connection,
    job_id: str,
    model_key: str,
    priority: int,
    start: int,
    new_items: Iterable[NewItem],
) -> int:
    """Insert items ranked from `start` with their values, taking `CHUNK_ITEMS` at a time from
    `new_items` (consumed lazily); returns how many were inserted."""
    insert_chunk = _insert_chunk_pg if conn.dialect.name == "postgresql" else _insert_chunk
    params = {
        "job": job_id,
        "model": model_key,
        "status": ItemStatus.PENDING.value,
        "priority": priority,
        "now": now_ms(),
    }
    source = iter(new_items)
    inserted = 0
    while chunk := list(islice(source, CHUNK_ITEMS)):
        insert_chunk(conn, chunk, {**params, "start": start + inserted})
        inserted += len(chunk)
    return inserted


def _insert_chunk(conn: Connection, chunk: Sequence[NewItem], params: dict[str, Any]) -> None:
    rows = [
        {
            "job_id": params["job"],
            "name": item.name,
            "model_key": params["model"],
            "status": params["status"],
            "priority": params["priority"],
            "fair_rank": params["start"] + i,
            "fence": 0,
            "attempts": 0,
            "input_bytes": item.size,
            "queued_at": params["now"],
        }
        for i, item in enumerate(chunk)
    ]
    ids = conn.execute(_insert_items(), rows).scalars().all()
    del rows
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
        for item_id, item in zip(ids, chunk, strict=True)
        for v in item.values
    ]
    conn.execute(_insert_values(), values)


def _insert_chunk_pg(conn: Connection, chunk: Sequence[NewItem], params: dict[str, Any]) -> None:
    """PostgreSQL: the items and their values in one statement, from arrays (each value names
    its item by position in the chunk, i.e. by fair rank)."""
    values = [(n, v) for n, item in enumerate(chunk) for v in item.values]
    arrays = {
        "names": [item.name for item in chunk],
        "sizes": [item.size for item in chunk],
        "positions": [n for n, _ in values],
        "inputs": [v.input_name for _, v in values],
        "media_types": [v.media_type for _, v in values],
        "value_sizes": [v.size for _, v in values],
        "data": [v.data for _, v in values],
        "blob_keys": [v.blob_key for _, v in values],
        "refs": [None if v.ref is None else json.dumps(v.ref) for _, v in values],
    }
    conn.execute(_INSERT_CHUNK_PG, {**params, **arrays})


_INSERT_CHUNK_PG = text(
    """
    WITH new_items AS (
        INSERT INTO items (job_id, name, model_key, status, priority, fair_rank, fence,
                           attempts, input_bytes, queued_at)
        SELECT :job, t.name, :model, :status, :priority, :start + t.n - 1, 0, 0, t.size, :now
        FROM unnest(CAST(:names AS varchar[]), CAST(:sizes AS bigint[]))
             WITH ORDINALITY AS t(name, size, n)
        ORDER BY t.n
        RETURNING id, fair_rank
    )
    INSERT INTO item_values (item_id, input_name, media_type, size, data, blob_key, ref)
    SELECT new_items.id, v.input_name, v.media_type, v.size, v.data, v.blob_key,
           CAST(v.ref AS json)
    FROM unnest(CAST(:positions AS bigint[]), CAST(:inputs AS varchar[]),
                CAST(:media_types AS varchar[]), CAST(:value_sizes AS bigint[]),
                CAST(:data AS bytea[]), CAST(:blob_keys AS varchar[]), CAST(:refs AS text[]))
         AS v(position, input_name, media_type, size, data, blob_key, ref)
    JOIN new_items ON new_items.fair_rank = :start + v.position
    """
)


# Statements are built once: building one costs more than running it again.
@cache
def _insert_items() -> Any:
    return insert(items).returning(items.c.id, sort_by_parameter_order=True)


@cache
def _insert_values() -> Any:
    return insert(item_values)


@cache
def _reserve(dialect: str) -> Any:
    head = (
        select(func.min(items.c.fair_rank))
        .where(
            items.c.status == ItemStatus.PENDING,
            items.c.model_key == bindparam("model"),
            items.c.priority == bindparam("queue_priority"),
        )
        .scalar_subquery()
    )
    greatest = func.greatest if dialect == "postgresql" else func.max  # SQLite: max(a, b)
    count = bindparam("count", type_=BigInteger)
    clock = greatest(accounts.c.fair_clock, func.coalesce(head, bindparam("now", type_=BigInteger)))
    return (
        update(accounts)
        .where(accounts.c.id == bindparam("account"))
        .values(fair_clock=clock + count, queued_bound=accounts.c.queued_bound + count)
        .returning(accounts.c.fair_clock - count, accounts.c.queued_bound)
    )


@cache
def _insert_job_and_reserve(columns: tuple[str, ...]) -> Any:
    values = {name: bindparam(f"job_{name}", type_=jobs.c[name].type) for name in columns}
    return _reserve("postgresql").add_cte(insert(jobs).values(values).cte("new_job"))


def job_query() -> Any:
    """Jobs joined with their submitting user: the columns every job view needs."""
    return select(
        jobs,
        users.c.first_name.label("user_first_name"),
        users.c.last_name.label("user_last_name"),
        users.c.email.label("user_email"),
        users.c.status.label("user_status"),
    ).join(users, users.c.id == jobs.c.user_id)


@cache
def _job_by_id() -> Any:
    return job_query().where(jobs.c.id == bindparam("job"))


@cache
def _item_names() -> Any:
    job = items.c.job_id == bindparam("job")
    return select(items.c.name).where(job).order_by(items.c.id).limit(bindparam("limit"))


def load_job(conn: Connection, job_id: str) -> Row[Any] | None:
    return conn.execute(_job_by_id(), {"job": job_id}).first()


def item_names(conn: Connection, job_id: str, limit: int) -> list[str]:
    return list(conn.execute(_item_names(), {"job": job_id, "limit": limit}).scalars())
