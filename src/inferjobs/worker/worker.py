"""The worker: claim a batch, run it, record the outcomes; heartbeats extend the lease."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Sequence

from sqlalchemy import insert, update

from inferjobs.config import Settings
from inferjobs.domain.status import ItemStatus, JobStatus
from inferjobs.errors import InferJobsError
from inferjobs.predictors.base import ItemInput, Outputs
from inferjobs.predictors.registry import Installed
from inferjobs.storage import outcomes, queue
from inferjobs.storage.blobs import LocalBlobStore
from inferjobs.storage.db import Database, now_ms
from inferjobs.storage.tables import workers
from inferjobs.worker import inputs, janitor
from inferjobs.worker.metrics import observe_batch
from inferjobs.worker.runner import ModelLoadError, PredictorHost

log = logging.getLogger(__name__)
JANITOR_SECONDS = 1.0


class Worker:
    def __init__(
        self,
        settings: Settings,
        db: Database,
        blobs: LocalBlobStore,
        installed: dict[str, Installed],
    ) -> None:
        self.settings = settings.worker
        self.db = db
        self.blobs = blobs
        self.id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        wanted = set(self.settings.models)
        self.served = sorted(k for k in installed if not wanted or k in wanted)
        self.host = PredictorHost(installed)
        self.specs = {k: v.spec for k, v in installed.items()}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._held: list[queue.Claim] = []
        self._held_lock = threading.Lock()
        self._next_sweep = 0.0

    # ---- lifecycle ------------------------------------------------------------------------
    def run(self) -> None:
        """Claim and run batches until stop() is called."""
        self._register()
        beat = threading.Thread(target=self._heartbeat, name=f"heartbeat-{self.id}", daemon=True)
        beat.start()
        idle = self.settings.poll_seconds / 8
        try:
            while not self._stop.is_set():
                try:
                    busy = self.run_once()
                except InferJobsError as exc:  # database briefly down: back off and retry
                    log.warning("worker %s: %s", self.id, exc)
                    busy = False
                idle = 0.0 if busy else min(self.settings.poll_seconds, max(idle * 2, 0.005))
                if idle:
                    self._wake.wait(idle)
                    self._wake.clear()
        finally:
            self.release_held()
            self._set_status("stopped")

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def wake(self) -> None:
        self._wake.set()

    # ---- one step -------------------------------------------------------------------------
    def run_once(self) -> bool:
        """Sweep when due, then claim and run one batch. False when there was nothing to do."""
        if time.monotonic() >= self._next_sweep:
            janitor.sweep(self.db, self.settings.max_attempts)
            self._next_sweep = time.monotonic() + JANITOR_SECONDS
        model_key = queue.next_model_key(self.db, self.served)
        if model_key is None:
            return False
        lease_ms = int(self.settings.lease_seconds * 1000)
        claims = queue.claim(self.db, self.id, model_key, self._batch_size(model_key), lease_ms)
        if not claims:
            return True
        with self._held_lock:
            self._held = claims
        try:
            self._run_batch(model_key, claims)
        finally:
            with self._held_lock:
                self._held = []
        return True

    def _batch_size(self, model_key: str) -> int:
        maximum = self.specs[model_key].max_batch_size
        return min(self.settings.batch_size or maximum, maximum)

    def _run_batch(self, model_key: str, claims: Sequence[queue.Claim]) -> None:
        started = now_ms()
        try:
            self.host.get(model_key)
        except ModelLoadError as exc:
            self._fail_jobs({c.job_id for c in claims}, exc.message)
            return
        loaded = inputs.load(self.db, self.blobs, claims)
        fetched = now_ms()
        runnable = [
            (c, v) for c, v in ((c, loaded[c.item_id]) for c in claims) if isinstance(v, ItemInput)
        ]
        clock = time.perf_counter()
        produced = self.host.run(model_key, [v for _, v in runnable]) if runnable else []
        latency = (time.perf_counter() - clock) * 1000 / max(1, len(runnable))
        by_item: dict[int, Outputs | Exception] = {
            c.item_id: out for (c, _), out in zip(runnable, produced, strict=True)
        }
        results = [
            self._outcome(
                c,
                by_item.get(c.item_id, loaded[c.item_id]),
                model_key,
                started,
                fetched - started,
                latency,
            )
            for c in claims
        ]
        accepted = outcomes.record(self.db, results, self.id)
        observe_batch(model_key, accepted, len(results) - len(accepted), now_ms())

    def _outcome(
        self,
        claim: queue.Claim,
        produced: object,
        model_key: str,
        started: int,
        fetch_ms: int,
        latency_ms: float,
    ) -> outcomes.Outcome:
        status, stored, error = self._settle(claim, model_key, produced)
        return outcomes.Outcome(
            claim,
            status,
            outputs=stored,
            error=error,
            engine=f"{self.id}/{model_key}",
            started_at=started,
            fetch_ms=fetch_ms,
            model_latency_ms=latency_ms,
        )

    def _settle(
        self, claim: queue.Claim, model_key: str, produced: object
    ) -> tuple[ItemStatus, Outputs | None, str | None]:
        if isinstance(produced, InferJobsError):
            return ItemStatus.FAILED, None, produced.message
        if isinstance(produced, Exception):
            return ItemStatus.FAILED, None, f"{type(produced).__name__}: {produced}"
        if not isinstance(produced, dict):
            return ItemStatus.FAILED, None, "the model returned no outputs for this item"
        try:
            return ItemStatus.SUCCESSFUL, self._store_outputs(claim, model_key, produced), None
        except InferJobsError as exc:
            return ItemStatus.FAILED, None, exc.message

    def _store_outputs(self, claim: queue.Claim, model_key: str, produced: Outputs) -> Outputs:
        spec = self.specs[model_key]
        stored: Outputs = {}
        for name, value in produced.items():
            declared = spec.output(name)
            if isinstance(value, bytes | bytearray):
                key = f"jobs/{claim.job_id}/out/{uuid.uuid4().hex}"
                self.blobs.put(key, bytes(value))
                media_type = declared.media_type if declared else "application/octet-stream"
                stored[name] = {"$blob": key, "mediaType": media_type}
            else:
                stored[name] = value
        return stored

    def _fail_jobs(self, job_ids: set[str], reason: str) -> None:
        for job_id in sorted(job_ids):
            with self.db.write() as conn:
                outcomes.end_job(conn, job_id, JobStatus.ERROR, reason)

    # ---- heartbeat and registration -------------------------------------------------------
    def _heartbeat(self) -> None:
        lease_ms = int(self.settings.lease_seconds * 1000)
        while not self._stop.wait(self.settings.heartbeat_seconds):
            try:
                with self._held_lock:
                    held = list(self._held)
                kept = queue.extend(self.db, self.id, held, lease_ms)
                if len(kept) < len(held):
                    log.info(
                        "worker %s lost %d items (canceled or taken over)",
                        self.id,
                        len(held) - len(kept),
                    )
                self._set_status("running")
            except InferJobsError as exc:
                log.warning("heartbeat of %s failed: %s", self.id, exc)

    def _register(self) -> None:
        now = now_ms()
        with self.db.write() as conn:
            conn.execute(
                insert(workers).values(
                    id=self.id,
                    hostname=socket.gethostname(),
                    pid=os.getpid(),
                    models=self.served,
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

    def release_held(self) -> None:
        with self._held_lock:
            held = list(self._held)
        if held:
            released = queue.release(self.db, self.id, held)
            log.info("worker %s released %d unfinished items", self.id, released)
