"""Housekeeping every worker does: requeue expired leases, fail exhausted items, time out jobs,
and purge old jobs' data under the retention settings."""

from __future__ import annotations

import logging
import time

from inferjobs.config import RetentionSettings
from inferjobs.domain.status import ItemStatus, JobStatus
from inferjobs.storage import outcomes, queue, retention
from inferjobs.storage.blobs import LocalBlobStore
from inferjobs.storage.db import Database

log = logging.getLogger(__name__)
HOUR_MS = 3_600_000


def sweep(db: Database, max_attempts: int) -> None:
    requeued = queue.requeue_expired(db, max_attempts)
    if requeued:
        log.warning("requeued %d items whose worker lease expired", requeued)
    lost = queue.exhausted(db, max_attempts)
    if lost:
        failed = outcomes.record(
            db,
            [
                outcomes.Outcome(
                    claim,
                    ItemStatus.FAILED,
                    error=f"the item was abandoned by its worker {claim.attempts} times "
                    "(crash or lease expiry); giving up",
                )
                for claim in lost
            ],
            worker_id=None,
        )
        log.warning("failed %d items after %d lost attempts", len(failed), max_attempts)
    for job_id in outcomes.timed_out_jobs(db):
        with db.write() as conn:
            if outcomes.end_job(conn, job_id, JobStatus.TIMEDOUT, "the job exceeded its timeout"):
                log.info("job %s timed out", job_id)


class Retention:
    """Purges finished jobs' inputs and results once they are older than the settings say.

    Runs from the janitor thread, at most every `interval` seconds: a quarter of the shortest
    retention period, between 1 s and a minute.
    """

    def __init__(self, settings: RetentionSettings, db: Database, blobs: LocalBlobStore) -> None:
        self.input_ms = int(settings.input_hours * HOUR_MS)
        self.result_ms = int(settings.result_hours * HOUR_MS)
        periods = [p for p in (self.input_ms, self.result_ms) if p]
        self.interval = min(60.0, max(1.0, min(periods, default=0) / 4000))
        self.db = db
        self.blobs = blobs
        self._next = 0.0

    def run(self) -> None:
        if not (self.input_ms or self.result_ms) or time.monotonic() < self._next:
            return
        self._next = time.monotonic() + self.interval
        try:
            inputs = (
                retention.purge_inputs(self.db, self.blobs, self.input_ms) if self.input_ms else 0
            )
            results = (
                retention.purge_results(self.db, self.blobs, self.result_ms)
                if self.result_ms
                else 0
            )
        except Exception as exc:  # a failed pass is retried at the next interval
            log.warning("retention pass failed: %s", exc)
            return
        if inputs or results:
            log.info(
                "retention: deleted the inputs of %d and the results of %d jobs", inputs, results
            )
