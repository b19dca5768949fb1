"""Retention: a finished job's inputs, then its results, are deleted after the configured time;
the job stays in the history, its results answer 410 Gone saying when they were deleted."""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from inferjobs.storage.db import Database
from inferjobs.storage.tables import item_values, items, results
from tests.api.conftest import Api, serve_api
from tests.reliability import figures
from tests.support.server import start_server

INPUT_HOURS = 0.0004  # 1.44 s
RESULT_HOURS = 0.001  # 3.6 s


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    env = {
        "INFERJOBS_RETENTION__INPUT_HOURS": str(INPUT_HOURS),
        "INFERJOBS_RETENTION__RESULT_HOURS": str(RESULT_HOURS),
    }
    yield from serve_api(start_server(tmp_path / "kept", database_url=database_url, extra_env=env))


def _until(api: Api, job_id: str, field: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        job = api.get(f"/jobs/{job_id}").json()
        if field in job:
            return dict(job)
        assert time.monotonic() < deadline, f"{field} never appeared: {job}"
        time.sleep(0.2)


def _count(database_url: str, query: Any) -> int:
    db = Database(database_url)
    try:
        with db.read() as conn:
            return int(conn.execute(query).scalar_one())
    finally:
        db.dispose()


def test_inputs_then_results_are_purged(api: Api, database_url: str) -> None:
    big = base64.b64encode(b"kept for a while " * 8000).decode()  # a blob, not inline
    small = base64.b64encode(b"x").decode()
    sources = {
        "big": {"input.txt": f"data:text/plain;base64,{big}"},
        "small": {"input.txt": f"data:text/plain;base64,{small}"},
    }
    response = api.submit("echo", "1.0.0", sources, kind="embedded")
    assert response.status_code == 200, response.text
    job_id = response.json()["jobIdentifier"]
    running = api.submit_texts("sleep", "1.0.0", {"nap": "5000"})
    job = api.wait(job_id)
    assert job["hoursDeleteInput"] == INPUT_HOURS
    blobs = api.server.data_dir / "blobs" / "jobs"
    assert (blobs / job_id / "in").exists()
    job = _until(api, job_id, "inputsDeletedAt")
    assert not (blobs / job_id / "in").exists()
    values = select(func.count()).where(
        item_values.c.item_id.in_(select(items.c.id).where(items.c.job_id == job_id))
    )
    assert _count(database_url, values) == 0
    assert api.get(f"/results/{job_id}").status_code == 200  # results are kept longer
    assert "inputsDeletedAt" not in api.get(f"/jobs/{running}").json()  # not finished yet

    job = _until(api, job_id, "resultsDeletedAt")
    gone = api.get(f"/results/{job_id}")
    assert gone.status_code == 410
    assert job["resultsDeletedAt"] in gone.json()["message"]
    assert api.get(f"/results/{job_id}/small/results.json").status_code == 410
    assert _count(database_url, select(func.count()).where(results.c.job_id == job_id)) == 0
    history = api.get("/jobs/history", params={"status": "terminated"}).json()
    kept = next(j for j in history if j["jobIdentifier"] == job_id)
    assert (kept["total"], kept["completed"], kept["status"]) == (2, 2, "COMPLETED")
    figures.record("retention", jobs_purged=1, answers_410=2)
