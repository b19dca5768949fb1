"""Retention: delete the inputs and, separately, the results of jobs finished long enough ago.

A job's own row (its metadata, counters and item names) stays for the history; a marker
(`inputs_purged_at`, `results_purged_at`) records when its data went. Each job is purged in one
transaction that first sets its marker, so two workers never purge the same job twice and a
reader sees either all of the data or the marker. Blobs are deleted after the commit: a crash
in between leaves unreferenced files, never a reference to a missing file.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import Column, Connection, delete, select, update

from inferjobs.domain.status import TERMINAL_JOB_STATUSES
from inferjobs.storage.blobs import LocalBlobStore
from inferjobs.storage.db import Database, now_ms
from inferjobs.storage.tables import item_values, items, jobs, results, upload_chunks

JOBS_PER_PASS = 100


def purge_inputs(db: Database, blobs: LocalBlobStore, keep_ms: int) -> int:
    """Delete the input values and upload chunks of jobs finished over `keep_ms` ago."""
    purged = 0
    for job_id in _due(db, jobs.c.inputs_purged_at, keep_ms):
        with db.write() as conn:
            if not _claim(conn, job_id, jobs.c.inputs_purged_at):
                continue
            keys = _input_blob_keys(conn, job_id)
            conn.execute(delete(item_values).where(item_values.c.item_id.in_(_item_ids(job_id))))
            conn.execute(delete(upload_chunks).where(upload_chunks.c.job_id == job_id))
        _delete_blobs(blobs, keys, (f"jobs/{job_id}/in", f"jobs/{job_id}/chunks"))
        purged += 1
    return purged


def purge_results(db: Database, blobs: LocalBlobStore, keep_ms: int) -> int:
    """Delete the results (outputs, errors) of jobs finished over `keep_ms` ago."""
    purged = 0
    for job_id in _due(db, jobs.c.results_purged_at, keep_ms):
        with db.write() as conn:
            if not _claim(conn, job_id, jobs.c.results_purged_at):
                continue
            outputs = conn.execute(select(results.c.outputs).where(results.c.job_id == job_id))
            keys = [key for (value,) in outputs for key in _output_blob_keys(value)]
            conn.execute(delete(results).where(results.c.job_id == job_id))
        _delete_blobs(blobs, keys, (f"jobs/{job_id}/out",))
        purged += 1
    return purged


def _due(db: Database, marker: Column[Any], keep_ms: int) -> list[str]:
    query = (
        select(jobs.c.id)
        .where(
            jobs.c.status.in_(sorted(TERMINAL_JOB_STATUSES)),
            jobs.c.finished_at < now_ms() - keep_ms,
            marker.is_(None),
        )
        .order_by(jobs.c.finished_at)
        .limit(JOBS_PER_PASS)
    )
    with db.read() as conn:
        return list(conn.execute(query).scalars())


def _claim(conn: Connection, job_id: str, marker: Column[Any]) -> bool:
    """Set the job's marker unless another purger did: the row lock makes this one-at-a-time."""
    done = conn.execute(
        update(jobs).where(jobs.c.id == job_id, marker.is_(None)).values({marker: now_ms()})
    )
    return bool(done.rowcount)


def _item_ids(job_id: str) -> Any:
    return select(items.c.id).where(items.c.job_id == job_id)


def _input_blob_keys(conn: Connection, job_id: str) -> list[str]:
    values = select(item_values.c.blob_key).where(
        item_values.c.item_id.in_(_item_ids(job_id)), item_values.c.blob_key.is_not(None)
    )
    chunks = select(upload_chunks.c.blob_key).where(upload_chunks.c.job_id == job_id)
    return [*conn.execute(values).scalars(), *conn.execute(chunks).scalars()]


def _output_blob_keys(outputs: Any) -> Iterator[str]:
    for value in (outputs or {}).values():
        if isinstance(value, dict) and isinstance(value.get("$blob"), str):
            yield value["$blob"]


def _delete_blobs(blobs: LocalBlobStore, keys: list[str], prefixes: tuple[str, ...]) -> None:
    for key in keys:
        blobs.delete(key)
    for prefix in prefixes:
        blobs.delete_prefix(prefix)
