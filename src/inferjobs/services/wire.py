"""Wire shapes of the Modzy-compatible API: timestamps, job objects."""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from inferjobs.storage.db import now_ms

# When retention deleted a finished job's inputs and results (wire field, jobs column).
_PURGE_MARKERS = (
    ("inputsDeletedAt", "inputs_purged_at"),
    ("resultsDeletedAt", "results_purged_at"),
)


@lru_cache(maxsize=4096)  # the items of one batch share their times
def timestamp(ms: int | None) -> str | None:
    """Epoch milliseconds as `2023-09-08T15:51:03.123+0000`."""
    if ms is None:
        return None
    t = time.gmtime(ms // 1000)
    return (
        f"{t.tm_year:04d}-{t.tm_mon:02d}-{t.tm_mday:02d}T"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d}.{ms % 1000:03d}+0000"
    )


def job_object(
    row: Any,  # a jobs row joined with its user (job_rows.job_query), or the same as attributes
    *,
    image_classification: bool,
    inputs: list[str],
    hours_delete_input: float = 0,
) -> dict[str, Any]:
    """The job-details object (GET /jobs/{id}, DELETE /jobs/{id}, history items)."""
    now = now_ms()
    submitted = row.submitted_at
    started = row.started_at
    finished = row.finished_at
    pending = max(0, row.total - row.completed - row.failed - row.canceled)
    user = {
        "identifier": row.user_id,
        "externalIdentifier": row.user_id,
        "firstName": row.user_first_name,
        "lastName": row.user_last_name,
        "email": row.user_email,
        "status": row.user_status,
        "title": "",
        "accessKeys": [{"prefix": row.key_prefix, "isDefault": True}],
    }
    body: dict[str, Any] = {
        "jobIdentifier": row.id,
        "status": row.status,
        "submittedBy": row.key_prefix,
        "accessKey": row.key_prefix,
        "accountIdentifier": row.account_id,
        "team": {"identifier": row.account_id},
        "user": user,
        "model": {"identifier": row.model_id, "version": row.model_version, "name": row.model_name},
        "jobType": row.input_type or "chunked",
        "explain": row.explain,
        "createdAt": timestamp(row.created_at),
        "updatedAt": timestamp(row.updated_at),
        "submittedAt": timestamp(submitted),
        "startedAt": timestamp(started),
        "finishedAt": timestamp(finished),
        "total": row.total,
        "pending": pending,
        "completed": row.completed,
        "failed": row.failed,
        "canceled": row.canceled,
        "queueTime": _span(submitted, started or finished or now),
        "elapsedTime": _span(submitted, finished or now),
        "timeout": row.timeout_ms,
        "inputByteAmount": row.input_bytes,
        "hoursDeleteInput": _hours(hours_delete_input),
        "imageClassificationModel": image_classification,
        "jobInputs": [{"identifier": name} for name in inputs],
    }
    if row.error:
        body["error"] = row.error
    for field, column in (
        ("inputsDeletedAt", "inputs_purged_at"),
        ("resultsDeletedAt", "results_purged_at"),
    ):
        if getattr(row, column, None):
            body[field] = timestamp(getattr(row, column))
    return body


def _hours(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def _span(start: int | None, end: int) -> int:
    return 0 if start is None else max(0, end - start)
