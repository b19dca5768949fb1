"""The blob store fails writes (as on a full disk) in the middle of a run.

How the fault is made: the tests run as root, for whom a read-only directory still takes
writes, and a tiny tmpfs needs privileges. Instead the test lowers the file-size limit
(RLIMIT_FSIZE, `prlimit`) of the running worker, or API, process: every write past the limit
then fails with EFBIG ("File too large") exactly where a full disk fails with ENOSPC, in the
blob store's own write call (Python ignores SIGXFSZ). Raising the limit again is the disk
being freed. The database is PostgreSQL: its files are written by the server, not limited.

Expected: items whose output could not be stored fail with the reason; no item is marked
SUCCESSFUL without its output; the API answers 503 with Retry-After when it cannot store an
input; everything works again once the writes succeed.
"""

from __future__ import annotations

import base64
import resource
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import _require_postgres
from tests.reliability import figures
from tests.reliability.fleet import Fleet
from tests.reliability.invariants import assert_sound
from tests.support.databases import fresh_postgres
from tests.support.plugins import plugin_env

pytestmark = pytest.mark.postgres
LIMIT = 64 * 1024  # bytes a process may write to one file while the "disk is full"
ITEMS = 40


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    _require_postgres()
    with fresh_postgres() as url:
        group = Fleet(tmp_path / "blobs", url, plugin_env())
        try:
            yield group
        finally:
            group.close()


def _limit_writes(pid: int, limit: int | None) -> None:
    hard = resource.prlimit(pid, resource.RLIMIT_FSIZE)[1]
    resource.prlimit(pid, resource.RLIMIT_FSIZE, (limit or hard, hard))


def _completed(fleet: Fleet, job_id: str) -> int:
    return int(fleet.job(job_id)["completed"])


def test_worker_blob_writes_fail_mid_run(fleet: Fleet) -> None:
    worker = fleet.start_worker(INFERJOBS_WORKER__SLOTS="1")
    sizes = {f"file-{n}": 100_000 + n for n in range(ITEMS)}
    job_id = fleet.submit_texts("file-out", "0.1.0", {k: f"{v}/40" for k, v in sizes.items()})
    while _completed(fleet, job_id) < 5:
        time.sleep(0.05)
    _limit_writes(worker.pid, LIMIT)
    time.sleep(0.6)
    _limit_writes(worker.pid, None)
    fleet.wait([job_id], timeout=120)
    tally = assert_sound(fleet.db, [job_id])
    outcome = fleet.http.get(f"/results/{job_id}").json()
    for failure in outcome["failures"].values():
        assert "could not store blob" in failure["error"], failure
        assert "File too large" in failure["error"], failure
    for name in outcome["results"]:
        data = fleet.http.get(f"/results/{job_id}/{name}/data.bin").content
        assert data == bytes([sizes[name] % 251]) * sizes[name], name
    failed, succeeded = len(outcome["failures"]), len(outcome["results"])
    assert failed >= 1 and succeeded >= 5 and failed + succeeded == ITEMS
    figures.record(
        "blob store write failures (worker)",
        items=tally.items,
        items_failed_with_reason=failed,
        items_successful_with_output=succeeded,
        successful_without_output=0,
        items_lost=tally.lost,
        duplicates=tally.duplicates,
    )


def test_api_blob_writes_fail_with_a_retryable_503(fleet: Fleet) -> None:
    big = base64.b64encode(b"big input " * 20_000).decode()  # over the 64 KiB inline limit
    body = {
        "model": {"identifier": "echo", "version": "1.0.0"},
        "input": {
            "type": "embedded",
            "sources": {"a": {"input.txt": f"data:text/plain;base64,{big}"}},
        },
    }
    opened = fleet.http.post("/jobs", json={"model": body["model"]}).json()["jobIdentifier"]
    _limit_writes(fleet.server.process.pid, LIMIT)
    try:
        refused = fleet.http.post("/jobs", json=body)
        chunk = fleet.http.post(
            f"/jobs/{opened}/a/input.txt", files={"input": ("input", b"x" * 200_000)}
        )
    finally:
        _limit_writes(fleet.server.process.pid, None)
    for response in (refused, chunk):
        assert response.status_code == 503, response.text
        assert response.headers["retry-after"].isdigit()
        assert "could not store blob" in response.json()["message"]
    assert fleet.job(opened)["jobInputs"] == []  # the refused chunk was not recorded
    fleet.start_worker()
    accepted = fleet.http.post("/jobs", json=body)
    assert accepted.status_code == 200
    job_id = accepted.json()["jobIdentifier"]
    fleet.wait([job_id], timeout=60)
    result = fleet.http.get(f"/results/{job_id}").json()["results"]["a"]
    assert result["results.json"]["text"] == "big input " * 20_000
    figures.record("blob store write failures (API)", answers_503=2, server_errors=0)
