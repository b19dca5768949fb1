"""What every queue under test is given: jobs of named text items, echoed back as results."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Job:
    id: str
    items: tuple[tuple[str, str], ...]  # (item name, text)


def make_jobs(total_items: int, job_size: int, prefix: str = "job") -> list[Job]:
    """`total_items` items in jobs of `job_size` items each."""
    jobs = []
    for start in range(0, total_items, job_size):
        count = min(job_size, total_items - start)
        items = tuple((f"item-{n}", f"text {start + n}") for n in range(count))
        jobs.append(Job(f"{prefix}-{start // job_size}", items))
    return jobs


def echo_output(text: str) -> dict[str, dict[str, str]]:
    """The per-item work of the no-op model (inferjobs' `echo`): the text back as JSON."""
    return {"results.json": {"text": text}}


class QueueSystem(Protocol):
    """Submits jobs and reads every result back, as a client of that system would."""

    name: str

    def run(self, jobs: Sequence[Job], clients: int) -> int:
        """Submit all jobs, wait for them, read their results; returns results read."""
        ...
