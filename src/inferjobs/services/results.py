"""Results of a job: per-item outputs keyed by item name, and raw output content."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, Text, bindparam, cast, func, select
from sqlalchemy.sql.elements import ColumnElement

from inferjobs.domain.status import ItemStatus, JobStatus
from inferjobs.errors import Gone, NotFound
from inferjobs.services import wire
from inferjobs.storage import outputs
from inferjobs.storage.blobs import LocalBlobStore
from inferjobs.storage.db import Database
from inferjobs.storage.tables import items, results

STREAM_ABOVE_ITEMS = 2_000  # smaller jobs are read at once: a cursor costs round trips
CHUNK_ROWS = 500
_NOT_FAILED = (ItemStatus.PENDING, ItemStatus.RUNNING, ItemStatus.SUCCESSFUL)
_ENDED_WITHOUT_RESULT = {
    ItemStatus.CANCELED.value: "the job was canceled before this item finished",
    ItemStatus.TIMEDOUT.value: "the job timed out before this item finished",
}


def ensure_kept(job: Row[Any]) -> None:
    """Raise 410 Gone when the retention policy has deleted the job's results."""
    purged = getattr(job, "results_purged_at", None)
    if purged:
        raise Gone(
            f"the results of job {job.id} were deleted at {wire.timestamp(purged)} under the "
            "retention policy; the job itself stays in the history"
        )


def whole(db: Database, job: Row[Any], base_url: str) -> bytes:
    """The results object of GET /results/{job} of a job of at most STREAM_ABOVE_ITEMS
    items, from one query. Call ensure_kept() first."""
    with db.read() as conn:
        rows = conn.execute(_entries_query(ended=True), {"job": job.id}).all()
    head = json.dumps(_summary(job, _timing(rows)))
    good = ",".join(
        f"{json.dumps(row.name)}:{_success(row, job.id, base_url)}"
        for row in rows
        if row.item_status == ItemStatus.SUCCESSFUL
    )
    bad = ",".join(
        f"{json.dumps(row.name)}:{json.dumps(_failure(row))}"
        for row in rows
        if row.item_status != ItemStatus.SUCCESSFUL
    )
    return f'{head[:-1]}, "results": {{{good}}}, "failures": {{{bad}}}}}'.encode()


def stream(db: Database, job: Row[Any], base_url: str) -> Iterator[bytes]:
    """The results object of GET /results/{job}, as JSON text produced piece by piece, so
    that a 100,000-item job is never in memory at once. Call ensure_kept() first."""
    with db.read() as conn:
        timing = tuple(conn.execute(_timing_query(), {"job": job.id}).one())
        head = json.dumps(_summary(job, timing))
        yield (head[:-1] + ', "results": {').encode()
        yield from _entries(conn, job, base_url, successful=True)
        yield b'}, "failures": {'
        yield from _entries(conn, job, base_url, successful=False)
        yield b"}}"


@cache
def _timing_query() -> Any:
    return select(
        func.min(results.c.queue_ms),
        func.sum(results.c.queue_ms),
        func.avg(results.c.model_latency_ms),
        func.sum(results.c.model_latency_ms),
    ).where(results.c.job_id == bindparam("job"))


def _timing(rows: Sequence[Row[Any]]) -> tuple[Any, ...]:
    """What _timing_query computes, from the rows of every ended item."""
    queue = [row.queue_ms for row in rows if row.queue_ms is not None]
    latency = [row.model_latency_ms for row in rows if row.model_latency_ms is not None]
    return (
        min(queue, default=None),
        sum(queue),
        sum(latency) / len(latency) if latency else None,
        sum(latency),
    )


def _summary(job: Row[Any], timing: tuple[Any, ...]) -> dict[str, Any]:
    first_queue, total_queue, average_latency, total_latency = timing
    return {
        "jobIdentifier": job.id,
        "accountIdentifier": job.account_id,
        "team": {"identifier": job.account_id},
        "submittedByKey": job.key_prefix,
        "explained": job.explain,
        "status": job.status,
        "finished": JobStatus(job.status).terminal,
        "total": job.total,
        "completed": job.completed,
        "failed": job.failed,
        "canceled": job.canceled,
        "submittedAt": wire.timestamp(job.submitted_at),
        "initialQueueTime": int(first_queue or 0),
        "totalQueueTime": int(total_queue or 0),
        "averageModelLatency": float(average_latency or 0.0),
        "totalModelLatency": float(total_latency or 0.0),
        "elapsedTime": max(0, (job.finished_at or job.updated_at) - (job.submitted_at or 0))
        if job.submitted_at
        else 0,
        "inputSize": job.input_bytes,
    }


def _entries(
    conn: Connection, job: Row[Any], base_url: str, *, successful: bool
) -> Iterator[bytes]:
    """`"name": {...}` pairs of the job's successful (or else failed) items, in item order."""
    query = _entries_query(successful=successful).execution_options(yield_per=CHUNK_ROWS)
    separator = ""  # a server-side cursor: never all rows at once
    for rows in conn.execute(query, {"job": job.id}).partitions(CHUNK_ROWS):
        entries = ",".join(
            f"{json.dumps(row.name)}:"
            + (_success(row, job.id, base_url) if successful else json.dumps(_failure(row)))
            for row in rows
        )
        yield (separator + entries).encode()
        separator = ","


@cache
def _entries_query(*, successful: bool = False, ended: bool = False) -> Any:
    """The rows of a job's successful items, failed (ended otherwise) items, or all ended."""
    wanted: ColumnElement[bool]
    if ended:
        wanted = items.c.status.notin_((ItemStatus.PENDING, ItemStatus.RUNNING))
    elif successful:
        wanted = items.c.status == ItemStatus.SUCCESSFUL
    else:
        wanted = items.c.status.notin_(_NOT_FAILED)
    columns: list[Any] = [
        items.c.name,
        items.c.status.label("item_status"),
        items.c.input_bytes,
        *(c for c in results.c if c.name != "outputs"),
        cast(results.c.outputs, Text).label("outputs_json"),  # spliced in as it is
    ]
    return (
        select(*columns)
        .select_from(items.outerjoin(results, results.c.item_id == items.c.id))
        .where(items.c.job_id == bindparam("job"), wanted)
        .order_by(items.c.id)
    )


def _times(row: Row[Any]) -> dict[str, Any]:
    return {
        "engine": row.engine,
        "startTime": wire.timestamp(row.started_at),
        "updateTime": wire.timestamp(row.ended_at),
        "endTime": wire.timestamp(row.ended_at),
    }


def _success(row: Row[Any], job_id: str, base_url: str) -> str:
    """The entry as JSON text. The stored outputs are spliced in as they are (no decoding and
    encoding again) unless they hold files, whose places become their download URLs."""
    entry: dict[str, Any] = {
        "status": "SUCCESSFUL",
        **_times(row),
        "inputFetching": row.fetch_ms,
        "outputUploading": None,
        "modelLatency": float(row.model_latency_ms or 0),
        "queueTime": row.queue_ms,
        "inputSize": row.input_bytes,
        "attempts": row.attempts,
        "voting": {"up": 0, "down": 0},
    }
    stored = (row.outputs_json or "").strip()
    if stored in ("", "null", "{}"):
        return json.dumps(entry)
    if not outputs.may_hold_files(stored):
        return json.dumps(entry)[:-1] + ", " + stored[1:]
    for name, value in json.loads(stored).items():
        entry[name] = (
            f"{base_url}/api/results/{job_id}/{row.name}/{name}"
            if outputs.is_file(value)
            else value
        )
    return json.dumps(entry)


def _failure(row: Row[Any]) -> dict[str, Any]:
    reason = row.item_status  # FAILED, CANCELED or TIMEDOUT
    error = row.error or _ENDED_WITHOUT_RESULT.get(reason, "the item failed")
    return {
        "status": "FAILED",
        "reason": reason,
        **_times(row),
        "error": error,
        "attempts": row.attempts,
    }


def output_content(
    db: Database, blobs: LocalBlobStore, job_id: str, item: str, output: str
) -> tuple[bytes, str]:
    """Raw content and media type of one output of one item."""
    query = (
        select(results.c.outputs)
        .select_from(items.join(results, results.c.item_id == items.c.id))
        .where(items.c.job_id == job_id, items.c.name == item)
    )
    with db.read() as conn:
        kept = conn.execute(query).scalar_one_or_none()
    if not kept or output not in kept:
        raise NotFound(f"job {job_id} has no output '{output}' for item '{item}'")
    value = kept[output]
    if outputs.is_file(value):
        return outputs.content(value, blobs)
    return json.dumps(value).encode(), "application/json"
