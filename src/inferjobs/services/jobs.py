"""Jobs: submit, open/upload/close, read, cancel."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection, Row, select, update
from sqlalchemy.exc import IntegrityError

from inferjobs.config import Settings
from inferjobs.domain.media import OCTET_STREAM
from inferjobs.domain.model_spec import ModelSpec
from inferjobs.domain.status import JobStatus
from inferjobs.errors import BadRequest, Conflict, NotFound
from inferjobs.services import external, history, limits, submission, wire
from inferjobs.services.catalog import Catalog, VersionRecord
from inferjobs.services.keys import Principal
from inferjobs.services.uploads import Uploads
from inferjobs.services.workers import LiveWorker, live_workers, waiting_reason
from inferjobs.sources.secrets import SecretBox
from inferjobs.storage import job_rows, outcomes
from inferjobs.storage.blobs import LocalBlobStore
from inferjobs.storage.db import Database, now_ms
from inferjobs.storage.job_rows import NewItem, StoredValue
from inferjobs.storage.tables import jobs


@dataclass(frozen=True)
class Prepared:
    kind: str  # the source type, "" for an OPEN job
    count: int = 0  # items
    size: int = 0  # input bytes
    names: list[str] = field(default_factory=list)  # the first item names, for the answer
    items: Callable[[], Iterable[NewItem]] = tuple  # the items, made when they are inserted
    sealed: bytes | None = None  # encrypted external source settings
    expansion: dict[str, Any] | None = None  # the first cursor of a lazy expansion


@dataclass(frozen=True)
class Queued:
    """Where a job's items go: its account's fair share, its model's queue, its priority."""

    id: str
    account_id: str
    model_key: str
    priority: int


class JobService:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        blobs: LocalBlobStore,
        catalog: Catalog,
        on_enqueue: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.db = db
        self.blobs = blobs
        self.catalog = catalog
        self.on_enqueue = on_enqueue
        self.uploads = Uploads(settings, db, blobs)
        self.secrets = SecretBox.from_settings(
            settings.sources.secret_key, settings.secret_key_file
        )

    # ---- submit ---------------------------------------------------------------------------
    def submit(
        self, who: Principal, body: Any, idempotency_key: str | None = None
    ) -> dict[str, Any]:
        if idempotency_key:
            existing = self._by_idempotency_key(who, idempotency_key)
            if existing is not None:
                return self._submission(existing)
        request = submission.parse_request(body)
        spec = self._spec(request.identifier, request.version)
        submission.check_explain(spec, request.explain)
        job_id = str(uuid.uuid4())
        prepared = self._prepare(job_id, request, spec)
        row = self._job_row(who, job_id, spec, request, prepared, idempotency_key)
        try:
            with self.db.write() as conn:
                if request.input is None:
                    job_rows.insert_job(conn, row)
                else:
                    count = prepared.count
                    reserved = job_rows.insert_job_and_reserve(conn, row, spec.key, count)
                    queued = Queued(job_id, who.account_id, spec.key, row["priority"])
                    self._enqueue(conn, queued, reserved, count, prepared.items())
                if prepared.sealed is not None:
                    job_rows.insert_secret(conn, job_id, prepared.sealed, prepared.expansion)
        except IntegrityError as exc:
            existing = self._by_idempotency_key(who, idempotency_key or "")
            if existing is None:
                raise _duplicate_item(exc) from exc
            return self._submission(existing)
        if prepared.count or prepared.expansion:
            self.on_enqueue()
        return self._fresh_submission(row, who, spec, prepared.names)

    def _prepare(self, job_id: str, request: submission.JobRequest, spec: ModelSpec) -> Prepared:
        """The job's items (large inline values stored), or its sealed external source."""
        if request.input is None:
            return Prepared("")
        kind = str(request.input.get("type"))
        names_max = self.settings.api.job_inputs_limit
        if kind in external.OBJECT_TYPES + external.EXPANDED_TYPES:
            plan = external.plan(submission.decoded(request.input), spec, self.settings)
            items = [
                NewItem(
                    i.name,
                    [
                        StoredValue(name, OCTET_STREAM, 0, None, None, ref)
                        for name, ref in i.refs.items()
                    ],
                )
                for i in plan.items
            ]
            names = [i.name for i in items[:names_max]]
            sealed = self.secrets.seal(plan.config)
            return Prepared(kind, len(items), 0, names, lambda: items, sealed, plan.expansion)
        checked = submission.check_inline_items(
            self.blobs,
            self.settings.inline_value_max_bytes,
            job_id,
            request.input,
            spec,
            max_items=self.settings.api.max_items_per_job,
            names_max=names_max,
        )
        return Prepared(kind, checked.count, checked.size, checked.names, checked.items)

    def _enqueue(
        self,
        conn: Connection,
        job: Queued,
        reserved: job_rows.Reservation,
        count: int,
        items: Iterable[NewItem],
    ) -> None:
        """Queue the job's items at the fair ranks `reserved` for them (which locked the
        account row until the commit) if the account has room for them (429 if not)."""
        limit = self.settings.api.max_queued_items_per_account
        limits.check_queue_room(conn, job.account_id, job.id, reserved, count, limit)
        if count:
            start = reserved.start
            job_rows.insert_items(conn, job.id, job.model_key, job.priority, start, items)

    def _spec(self, identifier: str, version: str) -> ModelSpec:
        try:
            return self.catalog.get(identifier, version).spec
        except NotFound as exc:
            raise BadRequest(exc.message) from None

    def _store(self, job_id: str, item: submission.RawItem) -> NewItem:
        return submission.store_item(self.blobs, self.settings.inline_value_max_bytes, job_id, item)

    def _job_row(
        self,
        who: Principal,
        job_id: str,
        spec: ModelSpec,
        request: submission.JobRequest,
        prepared: Prepared,
        idempotency_key: str | None,
    ) -> dict[str, Any]:
        now = now_ms()
        is_open = request.input is None
        return {
            "id": job_id,
            "account_id": who.account_id,
            "user_id": who.user_id,
            "key_prefix": who.prefix,
            "model_id": spec.identifier,
            "model_version": spec.version,
            "model_name": spec.name,
            "status": JobStatus.OPEN if is_open else JobStatus.SUBMITTED,
            "input_type": prepared.kind,
            "explain": request.explain,
            "priority": 1 if who.high_priority else 0,
            "timeout_ms": request.timeout_ms or spec.job_timeout_ms,
            "input_bytes": prepared.size,
            "total": prepared.count,
            "expanding": prepared.expansion is not None,
            "completed": 0,
            "failed": 0,
            "canceled": 0,
            "idempotency_key": idempotency_key or None,
            "created_at": now,
            "submitted_at": None if is_open else now,
            "updated_at": now,
        }

    def _by_idempotency_key(self, who: Principal, key: str) -> Row[Any] | None:
        with self.db.read() as conn:
            job_id = conn.execute(
                select(jobs.c.id).where(
                    jobs.c.key_prefix == who.prefix, jobs.c.idempotency_key == key
                )
            ).scalar_one_or_none()
            return job_rows.load_job(conn, job_id) if job_id else None

    # ---- chunked uploads ------------------------------------------------------------------
    def upload(
        self,
        who: Principal,
        job_id: str,
        source: str,
        input_name: str,
        data: bytes,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        row = self._visible(who, job_id)
        spec = self._spec(row.model_id, row.model_version)
        self.uploads.append(row, spec, source, input_name, data, idempotency_key)
        return {"jobIdentifier": job_id, "status": row.status}

    def close(self, who: Principal, job_id: str) -> dict[str, Any]:
        row = self._visible(who, job_id)
        if row.status != JobStatus.OPEN:
            raise Conflict(f"job {job_id} is {row.status}, not OPEN: it cannot be closed")
        spec = self._spec(row.model_id, row.model_version)
        raw = self.uploads.assemble(job_id, spec)
        new_items = [self._store(job_id, item) for item in raw]
        now = now_ms()
        with self.db.write() as conn:
            closed = conn.execute(
                update(jobs)
                .where(jobs.c.id == job_id, jobs.c.status == JobStatus.OPEN)
                .values(
                    status=JobStatus.SUBMITTED,
                    submitted_at=now,
                    updated_at=now,
                    total=len(new_items),
                    input_bytes=sum(i.size for i in new_items),
                )
            )
            if not closed.rowcount:
                raise Conflict(f"job {job_id} is no longer OPEN")
            count = len(new_items)
            reserved = job_rows.reserve(conn, row.account_id, spec.key, row.priority, count)
            queued = Queued(job_id, row.account_id, spec.key, row.priority)
            self._enqueue(conn, queued, reserved, count, new_items)
        self.uploads.discard(job_id)
        self.on_enqueue()
        return self._submission(self._load(job_id))

    # ---- read and cancel ------------------------------------------------------------------
    def get(self, who: Principal, job_id: str) -> dict[str, Any]:
        with self.db.read_scope():
            return self.job_object(self._visible(who, job_id))

    def cancel(self, who: Principal, job_id: str) -> dict[str, Any]:
        self._visible(who, job_id)
        with self.db.write() as conn:
            outcomes.end_job(conn, job_id, JobStatus.CANCELED, None)
        self.uploads.discard(job_id)
        return self.job_object(self._load(job_id))

    def job_object(self, row: Row[Any]) -> dict[str, Any]:
        """The job-details object of one job."""
        if row.status == JobStatus.OPEN:
            names = self.uploads.source_names(row.id)
        else:
            with self.db.read() as conn:
                names = job_rows.item_names(conn, row.id, self.settings.api.job_inputs_limit)
        return self._job_body(row, names, None)

    def _job_body(
        self, row: Row[Any], names: list[str], live: list[LiveWorker] | None
    ) -> dict[str, Any]:
        """The job object from its row and input names; `live` None: read when needed."""
        record = self.catalog.versions().get(f"{row.model_id}:{row.model_version}")
        body = wire.job_object(
            row,
            image_classification=bool(record and record.spec.image_classification),
            inputs=names,
            hours_delete_input=self.settings.retention.input_hours,
        )
        body["queueReason"] = self._queue_reason(row, record, live)
        return body

    def _queue_reason(
        self, row: Row[Any], record: VersionRecord | None, live: list[LiveWorker] | None
    ) -> str | None:
        """Why the job's items wait, when no live worker can run them."""
        if not _may_wait(row):
            return None
        if record is None:
            return f"model {row.model_id} {row.model_version} is no longer registered"
        if live is None:
            live = self._live_workers()
        return waiting_reason(record.spec, live)

    def _live_workers(self) -> list[LiveWorker]:
        return live_workers(self.db, self.settings.worker.lease_seconds)

    def _fresh_submission(
        self, row: dict[str, Any], who: Principal, spec: ModelSpec, names: list[str]
    ) -> dict[str, Any]:
        """The submission object of a job just inserted, built without reading it back."""
        view = SimpleNamespace(
            **row,
            started_at=None,
            finished_at=None,
            error=None,
            user_first_name=who.first_name,
            user_last_name=who.last_name,
            user_email=who.email,
            user_status="ACTIVE",
        )
        body = wire.job_object(
            view,
            image_classification=spec.image_classification,
            inputs=[],
            hours_delete_input=self.settings.retention.input_hours,
        )
        body["totalInputs"] = row["total"]
        body["jobInputs"] = {"identifier": names[: self.settings.api.job_inputs_limit]}
        return body

    def _submission(self, row: Row[Any]) -> dict[str, Any]:
        body = self.job_object(row)
        body["totalInputs"] = row.total
        body["jobInputs"] = {"identifier": [i["identifier"] for i in body["jobInputs"]]}
        return body

    def _load(self, job_id: str) -> Row[Any]:
        with self.db.read() as conn:
            row = job_rows.load_job(conn, job_id)
        if row is None:
            raise NotFound(f"job {job_id} not found")
        return row

    def _visible(self, who: Principal, job_id: str) -> Row[Any]:
        """The job if this key may see it; another key's job is indistinguishable from none."""
        row = self._load(job_id) if _is_uuid(job_id) else None
        if row is None or not can_see(who, row.key_prefix, row.account_id):
            raise NotFound(f"job {job_id} not found")
        return row

    def visible(self, who: Principal, job_id: str) -> Row[Any]:
        return self._visible(who, job_id)

    def history(
        self, who: Principal, params: Mapping[str, str]
    ) -> tuple[list[dict[str, Any]], bool]:
        """One page of the caller's jobs, and whether another page follows."""
        query = history.parse(params, who, self.settings.api.history_max_per_page)
        limit = self.settings.api.job_inputs_limit
        with self.db.read_scope(), self.db.read() as conn:
            rows = conn.execute(history.page_statement(query)).all()
            shown = rows[: query.per_page]
            names = history.input_names(conn, shown, limit)
            # Live workers only explain waiting jobs: read once per page, and only if one waits
            live = self._live_workers() if any(_may_wait(row) for row in shown) else []
        page = [self._job_body(row, names[row.id], live) for row in shown]
        return page, len(rows) > query.per_page


def can_see(who: Principal, key_prefix: str, account_id: str) -> bool:
    if who.is_admin:
        return account_id == who.account_id
    return key_prefix == who.prefix


def _may_wait(row: Row[Any]) -> bool:
    """Whether the job has items waiting to run (so a queue reason may apply)."""
    pending = row.total - row.completed - row.failed - row.canceled
    return pending > 0 and row.status in (JobStatus.SUBMITTED, JobStatus.IN_PROGRESS)


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _duplicate_item(exc: IntegrityError) -> Exception:
    """A 400 when the body names an item twice (the items' unique key), else `exc` itself."""
    message = str(exc.orig)
    if "uq_items_job_name" in message or "items.job_id, items.name" in message:
        return BadRequest("input.sources: an item name appears more than once")
    return exc


__all__ = ["JobService", "can_see"]
