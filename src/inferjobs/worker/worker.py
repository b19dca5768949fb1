"""The worker: slots claim and run batches; a heartbeat extends the leases of what they hold."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from pathlib import Path

from sqlalchemy import insert, update

from inferjobs.config import Settings
from inferjobs.domain.model_spec import ModelSpec
from inferjobs.domain.status import JobStatus
from inferjobs.errors import InferJobsError
from inferjobs.predictors.registry import Installed
from inferjobs.sources.secrets import SecretBox
from inferjobs.storage import notify, outcomes, queue
from inferjobs.storage.blobs import LocalBlobStore
from inferjobs.storage.db import Database, now_ms
from inferjobs.storage.tables import workers
from inferjobs.worker import janitor, resources
from inferjobs.worker.expander import Expander
from inferjobs.worker.fetch import Fetcher
from inferjobs.worker.slot import Slot

log = logging.getLogger(__name__)
JANITOR_SECONDS = 1.0


class Worker:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        blobs: LocalBlobStore,
        installed: dict[str, Installed],
        *,
        slots: int | None = None,
    ) -> None:
        self.settings = settings.worker
        self.db = db
        self.blobs = blobs
        self.cache_dir: Path = settings.cache_dir
        self.memory_limit_mib = self.settings.model_memory_limit_mib
        self.id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.capacity = resources.detect(
            self.settings.cpus, self.settings.memory_mib, self.settings.gpus
        )
        self.ledger = resources.Ledger(self.capacity)
        self.specs: dict[str, ModelSpec] = {k: v.spec for k, v in installed.items()}
        wanted = set(self.settings.models)
        chosen = sorted(k for k in self.specs if not wanted or k in wanted)
        self.served = [k for k in chosen if self.capacity.fits(self.specs[k].requirement)]
        for key in sorted(set(chosen) - set(self.served)):
            log.warning(
                "worker does not serve %s: it %s",
                key,
                self.capacity.why_not(self.specs[key].requirement),
            )
        count = slots if slots is not None else self.settings.slots
        self.slots = [Slot(self, n) for n in range(count or max(1, os.cpu_count() or 1))]
        self.lease_ms = int(self.settings.lease_seconds * 1000)
        secrets = SecretBox.from_settings(settings.sources.secret_key, settings.secret_key_file)
        self.fetcher = Fetcher(db, secrets)
        self.expander = Expander(settings, db, blobs, secrets, self.specs, self.id)
        self.retention = janitor.Retention(settings.retention, db, blobs)
        self._stop = threading.Event()

    # ---- lifecycle ------------------------------------------------------------------------
    def run(self) -> None:
        """Run every slot until stop() is called; then give back what is unfinished."""
        self._register()
        threads = [
            threading.Thread(target=self._heartbeat, name=f"heartbeat-{self.id}", daemon=True),
            threading.Thread(target=self._janitor, name=f"janitor-{self.id}", daemon=True),
            threading.Thread(target=self._expand, name=f"expander-{self.id}", daemon=True),
        ]
        if not self.db.is_sqlite:
            threads.append(threading.Thread(target=self._listen, name="listen", daemon=True))
        threads += [
            threading.Thread(target=s.run, name=f"slot-{s.number}", daemon=True) for s in self.slots
        ]
        for thread in threads:
            thread.start()
        self._stop.wait()
        for thread in threads:
            if thread.name.startswith("slot-"):
                thread.join(self.settings.stop_grace_seconds)
        self.release_held()
        self._set_status("stopped")

    def stop(self) -> None:
        self._stop.set()
        for slot in self.slots:
            slot.awake.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    notified = False  # True while PostgreSQL notifications announce new work (see _listen)

    def wake(self, besides: Slot | None = None) -> None:
        """New work may be queued: one slot without a batch looks at once (a slot that claims
        a full batch wakes the next), not all of them, which would send one claim each and
        all but one would come back empty. When every slot runs a batch, each is told to
        look as soon as its batch allows."""
        others = [slot for slot in self.slots if slot is not besides]
        free = [slot for slot in others if slot.free]
        for slot in free[:1] or others:
            slot.awake.set()

    # ---- shared by the slots --------------------------------------------------------------
    def batch_size(self, spec: ModelSpec) -> int:
        return min(self.settings.batch_size or spec.max_batch_size, spec.max_batch_size)

    def fail_jobs(self, job_ids: set[str], reason: str) -> None:
        for job_id in sorted(job_ids):
            with self.db.write() as conn:
                outcomes.end_job(conn, job_id, JobStatus.ERROR, reason)

    def held(self) -> list[queue.Claim]:
        return [claim for slot in self.slots for claim in slot.held]

    def release_held(self) -> None:
        held = self.held()
        if held:
            released = queue.release(self.db, self.id, held)
            log.info("worker %s released %d unfinished items", self.id, released)

    # ---- background threads and registration ---------------------------------------------
    def _janitor(self) -> None:
        """Requeue expired leases, fail exhausted items, time out jobs: every second, even
        while every slot is busy with a long batch."""
        while not self._stop.wait(JANITOR_SECONDS):
            try:
                janitor.sweep(self.db, self.settings.max_attempts)
                self.retention.run()
            except InferJobsError as exc:
                log.warning("janitor of %s failed: %s", self.id, exc)
            except Exception:  # keep the thread alive: it guards every worker's leases
                log.exception("janitor of %s failed unexpectedly", self.id)

    def _expand(self) -> None:
        """Expand S3 folders and JDBC queries into items, one job at a time."""
        while not self._stop.is_set():
            try:
                busy = self.expander.run_once()
            except InferJobsError as exc:
                log.warning("expander of %s failed: %s", self.id, exc)
                busy = False
            except Exception:
                log.exception("expander of %s failed unexpectedly", self.id)
                busy = False
            if not busy:
                self._stop.wait(self.settings.poll_seconds * 4)

    def _listen(self) -> None:
        notify.listen(self.db.url, notify.QUEUE_CHANNEL, self._notified, self._stop, self._lost)

    def _notified(self) -> None:
        self.notified = True
        self.wake()

    def _lost(self) -> None:
        self.notified = False

    def _heartbeat(self) -> None:
        while not self._stop.wait(self.settings.heartbeat_seconds):
            try:
                held = self.held()
                kept = queue.extend(self.db, self.id, held, self.lease_ms)
                if len(kept) < len(held):
                    log.info(
                        "worker %s lost %d items (canceled or taken over)",
                        self.id,
                        len(held) - len(kept),
                    )
                self._set_status("running")
            except InferJobsError as exc:
                log.warning("heartbeat of %s failed: %s", self.id, exc)
            except Exception:
                log.exception("heartbeat of %s failed unexpectedly", self.id)

    def _register(self) -> None:
        now = now_ms()
        with self.db.write() as conn:
            conn.execute(
                insert(workers).values(
                    id=self.id,
                    hostname=socket.gethostname(),
                    pid=os.getpid(),
                    models=self.served,
                    capacity=self.capacity.as_json(),
                    status="running",
                    started_at=now,
                    heartbeat_at=now,
                )
            )

    def _set_status(self, status: str) -> None:
        try:
            with self.db.write() as conn:
                conn.execute(
                    update(workers)
                    .where(workers.c.id == self.id)
                    .values(status=status, heartbeat_at=now_ms())
                )
        except InferJobsError as exc:
            log.warning("worker %s could not record status %s: %s", self.id, status, exc)
