"""Results of a job: per-item outputs keyed by item name, and raw output content."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Row, select

from inferjobs.domain.status import ItemStatus, JobStatus
from inferjobs.errors import Gone, NotFound
from inferjobs.services import wire
from inferjobs.storage.blobs import LocalBlobStore
from inferjobs.storage.db import Database
from inferjobs.storage.tables import items, results

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


def build(db: Database, job: Row[Any], base_url: str) -> dict[str, Any]:
    """The results object of GET /results/{job}."""
    ensure_kept(job)
    query = (
        select(items.c.name, items.c.status.label("item_status"), items.c.input_bytes, results)
        .select_from(items.outerjoin(results, results.c.item_id == items.c.id))
        .where(
            items.c.job_id == job.id,
            items.c.status.notin_((ItemStatus.PENDING, ItemStatus.RUNNING)),
        )
        .order_by(items.c.id)
    )
    with db.read() as conn:
        rows = conn.execute(query).all()
    done: dict[str, Any] = {}
    failed: dict[str, Any] = {}
    for row in rows:
        if row.item_status == ItemStatus.SUCCESSFUL:
            done[row.name] = _success(row, job.id, base_url)
        else:
            failed[row.name] = _failure(row)
    latencies = [r.model_latency_ms for r in rows if r.model_latency_ms is not None]
    queue_times = [r.queue_ms for r in rows if r.queue_ms is not None]
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
        "initialQueueTime": min(queue_times, default=0),
        "totalQueueTime": sum(queue_times),
        "averageModelLatency": (sum(latencies) / len(latencies)) if latencies else 0.0,
        "totalModelLatency": float(sum(latencies)),
        "elapsedTime": max(0, (job.finished_at or job.updated_at) - (job.submitted_at or 0))
        if job.submitted_at
        else 0,
        "inputSize": job.input_bytes,
        "results": done,
        "failures": failed,
    }


def _times(row: Row[Any]) -> dict[str, Any]:
    return {
        "engine": row.engine,
        "startTime": wire.timestamp(row.started_at),
        "updateTime": wire.timestamp(row.ended_at),
        "endTime": wire.timestamp(row.ended_at),
    }


def _success(row: Row[Any], job_id: str, base_url: str) -> dict[str, Any]:
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
    for name, value in (row.outputs or {}).items():
        if isinstance(value, dict) and "$blob" in value:
            value = f"{base_url}/api/results/{job_id}/{row.name}/{name}"
        entry[name] = value
    return entry


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
        outputs = conn.execute(query).scalar_one_or_none()
    if not outputs or output not in outputs:
        raise NotFound(f"job {job_id} has no output '{output}' for item '{item}'")
    value = outputs[output]
    if isinstance(value, dict) and "$blob" in value:
        return blobs.get(value["$blob"]), str(value.get("mediaType", "application/octet-stream"))
    return json.dumps(value).encode(), "application/json"
