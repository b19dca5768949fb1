"""Housekeeping every worker does: requeue expired leases, fail exhausted items, time out jobs."""

from __future__ import annotations

import logging

from inferjobs.domain.status import ItemStatus, JobStatus
from inferjobs.storage import outcomes, queue
from inferjobs.storage.db import Database

log = logging.getLogger(__name__)


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
