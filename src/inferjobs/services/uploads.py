"""Chunked uploads into an OPEN job: chunks are appended in order, assembled on close."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from functools import cache
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from inferjobs.config import Settings
from inferjobs.domain import media
from inferjobs.domain.model_spec import ModelSpec
from inferjobs.domain.status import JobStatus
from inferjobs.errors import BadRequest, Conflict, PayloadTooLarge
from inferjobs.services.submission import MAX_NAME, RawItem, RawValue, validate_item
from inferjobs.storage.blobs import LocalBlobStore
from inferjobs.storage.db import Database, now_ms
from inferjobs.storage.tables import upload_chunks


class Uploads:
    def __init__(self, settings: Settings, db: Database, blobs: LocalBlobStore) -> None:
        self.limits = settings.api
        self.db = db
        self.blobs = blobs

    def append(
        self,
        job: Row[Any],
        spec: ModelSpec,
        source: str,
        input_name: str,
        data: bytes,
        idempotency_key: str | None = None,
    ) -> None:
        """Append a chunk; a resend with the same `idempotency_key` is stored only once."""
        where = f"item '{source}', input '{input_name}'"
        if job.status != JobStatus.OPEN:
            raise Conflict(f"job {job.id} is {job.status}: uploads go to OPEN jobs only")
        if not source or len(source) > MAX_NAME:
            raise BadRequest(f"item names must have 1 to {MAX_NAME} characters")
        declared = spec.input(input_name)
        if declared is None:
            inputs = ", ".join(i.name for i in spec.inputs)
            raise BadRequest(
                f"{where}: model {spec.identifier} {spec.version} has no input "
                f"'{input_name}'; its inputs: {inputs}"
            )
        if len(data) > self.limits.chunk_max_bytes:
            raise PayloadTooLarge(
                f"{where}: a chunk of {len(data)} bytes is over the maximum "
                f"chunk size of {self.limits.chunk_max_bytes} bytes"
            )
        if idempotency_key and self._seen(job.id, idempotency_key):
            return
        count, size = self._so_far(job.id, source, input_name)
        if count >= self.limits.max_chunks_per_input:
            raise PayloadTooLarge(f"{where}: over {self.limits.max_chunks_per_input} chunks")
        if size + len(data) > declared.maximum_size:
            raise PayloadTooLarge(
                f"{where}: {size + len(data)} bytes is over the input's "
                f"maximum size of {declared.maximum_size} bytes"
            )
        key = f"jobs/{job.id}/chunks/{uuid.uuid4().hex}"
        self.blobs.put(key, data)
        row = {
            "job_id": job.id,
            "source_name": source,
            "input_name": input_name,
            "size": len(data),
            "blob_key": key,
            "created_at": now_ms(),
            "idempotency_key": idempotency_key or None,
        }
        try:
            with self.db.write() as conn:
                conn.execute(insert(upload_chunks).values(**row))
        except IntegrityError:
            self.blobs.delete(key)
            if not (idempotency_key and self._seen(job.id, idempotency_key)):
                raise

    def _seen(self, job_id: str, idempotency_key: str) -> bool:
        query = select(upload_chunks.c.id).where(
            upload_chunks.c.job_id == job_id, upload_chunks.c.idempotency_key == idempotency_key
        )
        with self.db.read() as conn:
            return conn.execute(query).first() is not None

    def _so_far(self, job_id: str, source: str, input_name: str) -> tuple[int, int]:
        query = select(func.count(), func.coalesce(func.sum(upload_chunks.c.size), 0)).where(
            upload_chunks.c.job_id == job_id,
            upload_chunks.c.source_name == source,
            upload_chunks.c.input_name == input_name,
        )
        with self.db.read() as conn:
            count, size = conn.execute(query).one()
        return int(count), int(size)

    def assemble(self, job_id: str, spec: ModelSpec) -> list[RawItem]:
        """Concatenate each input's chunks in arrival order and validate the items."""
        query = (
            select(
                upload_chunks.c.source_name, upload_chunks.c.input_name, upload_chunks.c.blob_key
            )
            .where(upload_chunks.c.job_id == job_id)
            .order_by(upload_chunks.c.id)
        )
        with self.db.read() as conn:
            rows = conn.execute(query).all()
        if not rows:
            raise BadRequest(f"job {job_id} has no uploaded items: upload inputs before closing")
        parts: dict[str, dict[str, list[bytes]]] = defaultdict(lambda: defaultdict(list))
        for row in rows:
            parts[row.source_name][row.input_name].append(self.blobs.get(row.blob_key))
        items = []
        for source, inputs in parts.items():
            values = {}
            for name, chunks in inputs.items():
                data = b"".join(chunks)
                values[name] = RawValue(name, data, media.detect(data))
            items.append(validate_item(source, values, spec))
        return items

    def source_names(self, job_id: str) -> list[str]:
        with self.db.read() as conn:
            return [row.name for row in sources_of(conn, [job_id])]

    def discard(self, job_id: str) -> None:
        with self.db.write() as conn:
            conn.execute(delete(upload_chunks).where(upload_chunks.c.job_id == job_id))
        self.blobs.delete_prefix(f"jobs/{job_id}/chunks")


def sources_of(conn: Connection, job_ids: Sequence[str]) -> list[Row[Any]]:
    """(job_id, name) of the sources uploaded to each job of `job_ids` so far, in the order
    of their first chunk."""
    return list(conn.execute(_sources_of(), {"ids": list(job_ids)}))


@cache
def _sources_of() -> Any:
    return (
        select(upload_chunks.c.job_id, upload_chunks.c.source_name.label("name"))
        .where(upload_chunks.c.job_id.in_(bindparam("ids", expanding=True)))
        .group_by(upload_chunks.c.job_id, upload_chunks.c.source_name)
        .order_by(upload_chunks.c.job_id, func.min(upload_chunks.c.id))
    )
