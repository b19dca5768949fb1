"""A worker slot: one claim loop with its own model process."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from inferjobs.domain.model_spec import ModelSpec
from inferjobs.domain.status import ItemStatus
from inferjobs.errors import InferJobsError, ItemError
from inferjobs.predictors.base import ItemInput, Outputs
from inferjobs.storage import outcomes, outputs, queue
from inferjobs.storage.db import now_ms
from inferjobs.worker import inputs
from inferjobs.worker.metrics import observe_batch
from inferjobs.worker.runner import SlotRunner
from inferjobs.worker.supervisor import Aborted, ModelLoadError

if TYPE_CHECKING:
    from inferjobs.worker.worker import Worker

log = logging.getLogger(__name__)
REVISIT_SECONDS = 0.1


@dataclass
class Batch:
    """Claimed items of one model version with their loaded inputs."""

    spec: ModelSpec
    claims: list[queue.Claim]
    loaded: dict[int, ItemInput | ItemError]
    started: int
    fetch_ms: int

    @cached_property
    def runnable(self) -> list[tuple[queue.Claim, ItemInput]]:
        return [(c, v) for c in self.claims if isinstance(v := self.loaded[c.item_id], ItemInput)]


class Slot:
    def __init__(self, worker: Worker, number: int) -> None:
        self.worker = worker
        self.number = number
        self.runner = SlotRunner(worker.ledger, str(worker.cache_dir), worker.memory_limit_mib)
        self._held: list[queue.Claim] = []
        self._lock = threading.Lock()
        self._started: set[str] = set()  # jobs this slot has seen IN_PROGRESS
        self._full = False  # whether the last claim filled a batch
        self._drained = False  # whether the last look found no more work for this slot
        self._revisit_at = 0.0
        self._running: Batch | None = None  # handed to the model, not yet recorded
        self._computing = False  # a batch is in the model (also while run_once collects it)
        self.awake = threading.Event()  # set when new work may be queued

    @property
    def free(self) -> bool:
        """No batch in the model (idle, or between batches)."""
        return not self._computing

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
            while not self.worker.stopping or self._running is not None:
                try:
                    busy = self.run_once()
                except InferJobsError as exc:  # e.g. the database is briefly down
                    log.warning("slot %d of %s: %s", self.number, self.worker.id, exc)
                    busy = False
                except Exception:  # a bug must not silently stop the slot; its claims expire
                    log.exception("slot %d of %s failed unexpectedly", self.number, self.worker.id)
                    busy = False
                idle = 0.0 if busy and not self._resting() else self._idle_wait(idle, poll)
                if idle and self.awake.wait(idle):
                    self.awake.clear()
        finally:
            self._running = None
            self.runner.close()

    def _resting(self) -> bool:
        """Nothing runs and the last claim left nothing behind: with notifications, the slot
        may wait for a wake instead of sending another claim that would come back empty."""
        return self.worker.notified and self._running is None and self._drained

    def _idle_wait(self, last: float, poll: float) -> float:
        """How long an idle slot waits before it looks again (a wake ends the wait). Without
        notifications it looks soon after work ran out, then less and less often; with them
        only a wake, or the poll interval for work queued without an insert (released or
        expired claims), calls for a look."""
        if self.worker.notified:
            return poll
        return min(poll, max(last * 2, 0.005))

    def run_once(self) -> bool:
        """One step of the pipeline: claim and load the next batch while the model computes
        the running one, then record the running one while the model computes the next.
        False when there was nothing to do."""
        running, self._running = self._running, None
        try:
            following = self._prepare(running)
        except Exception:
            self._running = running  # still in the model: collected on the next step
            raise
        if running is not None:
            try:
                produced = self._collect(running)
            finally:
                self._computing = False
            if following is not None:
                self._begin(following)
            if produced is not None:
                self._record(running, *produced)
        elif following is not None:
            self._begin(following)
        self._hold(self._running.claims if self._running else [])
        return running is not None or following is not None

    def _prepare(self, running: Batch | None) -> Batch | None:
        """Claim and load the next batch: of the running batch's model while one runs."""
        if self.worker.stopping:
            return None
        if running is not None and self._resting_while(running):
            return None
        model_key = self._next_model()
        self._drained = model_key is None
        if model_key is None:
            return None
        if running is not None and model_key != running.spec.key:
            return None  # switch models once the running batch is done
        spec = self.worker.specs[model_key]
        if running is None and not self.runner.use(spec):
            return None
        claims = self._claim(spec)
        self._full = len(claims) == self.worker.batch_size(spec)
        self._drained = not self._full
        if not claims:
            return None
        if self._full:  # more may wait: another slot may take it
            self.worker.wake(besides=self)
        self._hold([*(running.claims if running else []), *claims])
        worker = self.worker
        started = now_ms()
        loaded = inputs.load(worker.db, worker.blobs, worker.fetcher, spec, claims)
        return Batch(spec, claims, loaded, started, now_ms() - started)

    def _resting_while(self, running: Batch) -> bool:
        """Whether to skip claiming behind `running`: its claim took all there was, and no
        wake came since (a wake is consumed here)."""
        if not (self.worker.notified and self._drained):
            return False
        if self.awake.is_set():
            self.awake.clear()
            return False
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

    def _begin(self, batch: Batch) -> None:
        """Hand the batch to the model (started first if need be); a batch with no runnable
        item is recorded at once."""
        if not batch.runnable:
            self._record(batch, [], 0.0)
            return
        try:
            self.runner.start()  # a model that loads is not counted as model latency
            self.runner.begin([v for _, v in batch.runnable])
        except ModelLoadError as exc:
            self.worker.fail_jobs({c.job_id for c in batch.claims}, exc.message)
            return
        self._running = batch
        self._computing = True

    def _collect(self, batch: Batch) -> tuple[list[Outputs | Exception], float] | None:
        """The model's outputs for the running batch; None when it was interrupted."""

        def abort() -> bool:
            try:
                held = queue.still_held(self.worker.db, self.worker.id, batch.claims)
            except InferJobsError:  # the database is briefly away: let the model go on
                return False
            return len(held) < len(batch.claims)

        try:
            return self.runner.finish([v for _, v in batch.runnable], abort)
        except Aborted:
            released = queue.release(self.worker.db, self.worker.id, batch.claims)
            log.info("batch of %s interrupted; %d items given back", batch.spec.key, released)
            return None

    def _record(self, batch: Batch, produced: list[Outputs | Exception], compute_ms: float) -> None:
        latency = compute_ms / max(1, len(batch.runnable))
        by_item = {c.item_id: out for (c, _), out in zip(batch.runnable, produced, strict=True)}
        results = [
            self._outcome(
                c,
                by_item.get(c.item_id, batch.loaded[c.item_id]),
                batch.spec,
                batch.started,
                batch.fetch_ms,
                latency,
            )
            for c in batch.claims
        ]
        accepted = outcomes.record(self.worker.db, results, self.worker.id)
        observe_batch(batch.spec.key, accepted, len(results) - len(accepted), now_ms())

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
        def put_blob(data: bytes) -> str:
            key = f"jobs/{claim.job_id}/out/{uuid.uuid4().hex}"
            self.worker.blobs.put(key, data)
            return key

        stored: Outputs = {}
        for name, value in produced.items():
            if isinstance(value, bytes | bytearray):
                declared = spec.output(name)
                media = declared.media_type if declared else _guess(name)
                stored[name] = outputs.stored(bytes(value), media, put_blob)
            else:
                stored[name] = value
        return stored


def _guess(name: str) -> str:
    return "image/png" if name.endswith(".png") else "application/octet-stream"
