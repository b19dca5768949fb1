"""A stream of submits and chunked uploads, each request resent until it gets an answer."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from inferjobs.storage.db import Database
from inferjobs.storage.tables import items, jobs, results
from tests.reliability.clients import RetryingClient

ITEMS_PER_JOB = 4
CHUNKS_PER_ITEM = 3


@dataclass
class Workload:
    """Job `n` is submitted inline when n is even, uploaded in chunks when it is odd."""

    client: RetryingClient
    tag: str
    expected: dict[str, dict[str, str]] = field(default_factory=dict)  # job id -> item -> text
    unexpected: list[str] = field(default_factory=list)  # answers a retrying client must not see
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self, count: int, until_stopped: bool = False) -> None:
        """Submit `count` jobs, or, with `until_stopped`, at least `count` and on until `stop`."""
        n = 0
        while n < count or (until_stopped and not self.stop.is_set()):
            texts = {f"item-{k}": f"{self.tag} job {n} item {k}" for k in range(ITEMS_PER_JOB)}
            job_id = self._inline(n, texts) if n % 2 == 0 else self._chunked(n, texts)
            self.expected[job_id] = texts
            n += 1

    def _inline(self, n: int, texts: dict[str, str]) -> str:
        body = _body({"type": "text", "sources": {k: {"input.txt": v} for k, v in texts.items()}})
        response = self.client.call(
            "POST", "/jobs", json=body, headers={"Idempotency-Key": f"{self.tag}-{n}"}
        )
        self._expect(response, 200)
        return str(response.json()["jobIdentifier"])

    def _chunked(self, n: int, texts: dict[str, str]) -> str:
        opened = self.client.call(
            "POST", "/jobs", json=_body(None), headers={"Idempotency-Key": f"{self.tag}-{n}"}
        )
        self._expect(opened, 200)
        job_id = str(opened.json()["jobIdentifier"])
        for item, text in texts.items():
            for c, chunk in enumerate(_split(text, CHUNKS_PER_ITEM)):
                uploaded = self.client.call(
                    "POST",
                    f"/jobs/{job_id}/{item}/input.txt",
                    files={"input": ("input", chunk.encode())},
                    headers={"Idempotency-Key": f"{item}-{c}"},
                )
                self._expect(uploaded, 200)
        closed = self.client.call("POST", f"/jobs/{job_id}/close")
        if closed.status_code == 409:  # an earlier try closed it; its answer was lost
            status = self.client.call("GET", f"/jobs/{job_id}").json()["status"]
            if status == "OPEN":
                self.unexpected.append(f"close of {job_id}: 409 but the job is OPEN")
        else:
            self._expect(closed, 200)
        return job_id

    def _expect(self, response: Any, status: int) -> None:
        if response.status_code != status:
            self.unexpected.append(
                f"{response.request.url}: {response.status_code} {response.text}"
            )
            raise AssertionError(self.unexpected[-1])


def _body(source: dict[str, Any] | None) -> dict[str, Any]:
    body: dict[str, Any] = {"model": {"identifier": "echo", "version": "1.0.0"}, "explain": False}
    if source is not None:
        body["input"] = source
    return body


def _split(text: str, parts: int) -> list[str]:
    step = -(-len(text) // parts)
    return [text[i : i + step] for i in range(0, len(text), step)]


def check_jobs(db: Database, workload: Workload) -> None:
    """One job per logical job (no job made twice, none left half-built), exact contents."""
    with db.read() as conn:
        made = conn.execute(
            select(jobs.c.id, jobs.c.status, jobs.c.total).where(
                jobs.c.idempotency_key.like(f"{workload.tag}-%")
            )
        ).all()
        assert {row.id for row in made} == set(workload.expected), "a job was made twice or lost"
        assert all(row.status != "OPEN" for row in made), "a job was left half-built"
        outputs = conn.execute(
            select(items.c.job_id, items.c.name, results.c.outputs)
            .join(results, results.c.item_id == items.c.id)
            .where(items.c.job_id.in_(list(workload.expected)))
        ).all()
        count = conn.execute(
            select(func.count()).where(items.c.job_id.in_(list(workload.expected)))
        ).scalar_one()
    assert count == len(workload.expected) * ITEMS_PER_JOB
    seen = {(row.job_id, row.name): row.outputs["results.json"]["text"] for row in outputs}
    want = {
        (j, name): text for j, texts in workload.expected.items() for name, text in texts.items()
    }
    assert seen == want
