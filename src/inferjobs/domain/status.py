"""Job and item statuses (job statuses are the exact wire strings)."""

from __future__ import annotations

from enum import StrEnum


class JobStatus(StrEnum):
    OPEN = "OPEN"
    SUBMITTED = "SUBMITTED"
    IN_PROGRESS = "IN_PROGRESS"
    COMPLETED = "COMPLETED"
    CANCELED = "CANCELED"
    TIMEDOUT = "TIMEDOUT"
    ERROR = "ERROR"

    @property
    def terminal(self) -> bool:
        return self in TERMINAL_JOB_STATUSES


TERMINAL_JOB_STATUSES = frozenset(
    {JobStatus.COMPLETED, JobStatus.CANCELED, JobStatus.TIMEDOUT, JobStatus.ERROR}
)
PENDING_JOB_STATUSES = frozenset({JobStatus.OPEN, JobStatus.SUBMITTED, JobStatus.IN_PROGRESS})
ACTIVE_JOB_STATUSES = (JobStatus.SUBMITTED.value, JobStatus.IN_PROGRESS.value)


class ItemStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCESSFUL = "SUCCESSFUL"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
    TIMEDOUT = "TIMEDOUT"
