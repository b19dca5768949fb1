"""A worker slot: one claim loop with its own model process."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

from inferjobs.domain.model_spec import ModelSpec
from inferjobs.domain.status import ItemStatus
from inferjobs.errors import InferJobsError
from inferjobs.predictors.base import ItemInput, Outputs
from inferjobs.storage import outcomes, queue
from inferjobs.storage.db import now_ms
from inferjobs.worker import inputs
from inferjobs.worker.metrics import observe_batch
from inferjobs.worker.runner import SlotRunner
from inferjobs.worker.supervisor import Aborted, ModelLoadError

if TYPE_CHECKING:
    from inferjobs.worker.worker import Worker

log = logging.getLogger(__name__)
REVISIT_SECONDS = 0.1


class Slot:
    def __init__(self, worker: Worker, number: int) -> None:
        self.worker = worker
        self.number = number
        self.runner = SlotRunner(worker.ledger, str(worker.cache_dir), worker.memory_limit_mib)
        self._held: list[queue.Claim] = []
        self._lock = threading.Lock()
        self._started: set[str] = set()  # jobs this slot has seen IN_PROGRESS
        self._full = False  # whether the last claim filled a batch
        self._revisit_at = 0.0

    @property
    def held(self) -> list[queue.Claim]:
        with self._lock:
            return list(self._held)

    def _hold(self, claims: Sequence[queue.Claim]) -> None:
        with self._lock:
            self._held = list(claims)

    def run(self) -> None:
        idle = 0.0
        poll = self.worker.settings.poll_seconds
        try:
            while not self.worker.stopping:
                try:
                    busy = self.run_once()
                except InferJobsError as exc:  # e.g. the database is briefly down
                    log.warning("slot %d of %s: %s", self.number, self.worker.id, exc)
                    busy = False
                except Exception:  # a bug must not silently stop the slot; its claims expire
                    log.exception("slot %d of %s failed unexpectedly", self.number, self.worker.id)
                    busy = False
                idle = 0.0 if busy else min(poll, max(idle * 2, 0.005))
                if idle:
                    self.worker.idle(idle)
        finally:
            self.runner.close()

    def run_once(self) -> bool:
        """Claim and run one batch; False when there was nothing to do."""
        model_key = self._next_model()
        if model_key is None:
            return False
        spec = self.worker.specs[model_key]
        if not self.runner.use(spec):
            return False
        claims = self._claim(spec)
        self._full = len(claims) == self.worker.batch_size(spec)
        if not claims:
            return True
        self._hold(claims)
        try:
            self._run_batch(spec, claims)
        finally:
            self._hold([])
        return True

    def _next_model(self) -> str | None:
        """The model version to claim for: while the last batch came full, stay on it for up
        to REVISIT_SECONDS before asking the queue again (saves a query per batch)."""
        current = self.runner.current
        if current is not None and self._full and time.monotonic() < self._revisit_at:
            return current.key
        self._revisit_at = time.monotonic() + REVISIT_SECONDS
        specs = self.worker.specs
        candidates = [k for k in self.worker.served if self.runner.can_take(specs[k])]
        return queue.next_model_key(self.worker.db, candidates)

    def _claim(self, spec: ModelSpec) -> list[queue.Claim]:
        size = self.worker.batch_size(spec)
        claims = self._claim_some(spec, size)
        if claims and len(claims) < size and spec.max_batch_wait_ms:
            time.sleep(spec.max_batch_wait_ms / 1000)  # let a fuller batch gather
            claims += self._claim_some(spec, size - len(claims))
        return claims

    def _claim_some(self, spec: ModelSpec, count: int) -> list[queue.Claim]:
        worker = self.worker
        return queue.claim(worker.db, worker.id, spec.key, count, worker.lease_ms, self._started)

    def _run_batch(self, spec: ModelSpec, claims: Sequence[queue.Claim]) -> None:
        started = now_ms()
        loaded = inputs.load(self.worker.db, self.worker.blobs, self.worker.fetcher, spec, claims)
        fetched = now_ms()
        runnable = [(c, v) for c in claims if isinstance(v := loaded[c.item_id], ItemInput)]
        try:
            self.runner.start()  # a model that loads is not counted as model latency
            clock = time.perf_counter()
            produced = self._predict(spec, [v for _, v in runnable], claims)
        except ModelLoadError as exc:
            self.worker.fail_jobs({c.job_id for c in claims}, exc.message)
            return
        except Aborted:
            released = queue.release(self.worker.db, self.worker.id, claims)
            log.info("batch of %s interrupted; %d items given back", spec.key, released)
            return
        latency = (time.perf_counter() - clock) * 1000 / max(1, len(runnable))
        by_item = {c.item_id: out for (c, _), out in zip(runnable, produced, strict=True)}
        results = [
            self._outcome(
                c,
                by_item.get(c.item_id, loaded[c.item_id]),
                spec,
                started,
                fetched - started,
                latency,
            )
            for c in claims
        ]
        accepted = outcomes.record(self.worker.db, results, self.worker.id)
        observe_batch(spec.key, accepted, len(results) - len(accepted), now_ms())

    def _predict(
        self, spec: ModelSpec, batch: list[ItemInput], claims: Sequence[queue.Claim]
    ) -> list[Outputs | Exception]:
        if not batch:
            return []

        def abort() -> bool:
            return len(queue.still_held(self.worker.db, self.worker.id, claims)) < len(claims)

        return self.runner.run(batch, abort)

    def _outcome(
        self,
        claim: queue.Claim,
        produced: object,
        spec: ModelSpec,
        started: int,
        fetch_ms: int,
        latency_ms: float,
    ) -> outcomes.Outcome:
        status, stored, error = self._settle(claim, spec, produced)
        return outcomes.Outcome(
            claim,
            status,
            outputs=stored,
            error=error,
            engine=f"{self.worker.id}/{spec.key}",
            started_at=started,
            fetch_ms=fetch_ms,
            model_latency_ms=latency_ms,
        )

    def _settle(
        self, claim: queue.Claim, spec: ModelSpec, produced: object
    ) -> tuple[ItemStatus, Outputs | None, str | None]:
        if isinstance(produced, InferJobsError):
            return ItemStatus.FAILED, None, produced.message
        if isinstance(produced, Exception):
            return ItemStatus.FAILED, None, f"{type(produced).__name__}: {produced}"
        if not isinstance(produced, dict):
            return ItemStatus.FAILED, None, "the model returned no outputs for this item"
        try:
            return ItemStatus.SUCCESSFUL, self._store_outputs(claim, spec, produced), None
        except InferJobsError as exc:
            return ItemStatus.FAILED, None, exc.message

    def _store_outputs(self, claim: queue.Claim, spec: ModelSpec, produced: Outputs) -> Outputs:
        stored: Outputs = {}
        for name, value in produced.items():
            if isinstance(value, bytes | bytearray):
                key = f"jobs/{claim.job_id}/out/{uuid.uuid4().hex}"
                self.worker.blobs.put(key, bytes(value))
                declared = spec.output(name)
                media = declared.media_type if declared else _guess(name)
                stored[name] = {"$blob": key, "mediaType": media}
            else:
                stored[name] = value
        return stored


def _guess(name: str) -> str:
    return "image/png" if name.endswith(".png") else "application/octet-stream"
