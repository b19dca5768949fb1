"""Items no live worker can serve stay queued with the reason; workers claim what fits."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import Api, serve_api
from tests.support.server import start_server


@pytest.fixture
def api_only(tmp_path: Path) -> Iterator[Api]:
    yield from serve_api(
        start_server(
            tmp_path / "api",
            args=("--no-worker",),
            extra_env={
                "INFERJOBS_WORKER__LEASE_SECONDS": "3",
                "INFERJOBS_WORKER__HEARTBEAT_SECONDS": "0.5",
            },
        )
    )


def _worker(api: Api, **env: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "inferjobs", "worker"],
        env={**api.server.env, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _reason_becomes(api: Api, job_id: str, words: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        reason = api.get(f"/jobs/{job_id}").json()["queueReason"]
        if reason and words in reason:
            return str(reason)
        time.sleep(0.1)
    raise AssertionError(f"queueReason never mentioned {words!r}: {reason!r}")


def test_waiting_items_say_why(api_only: Api) -> None:
    job_id = api_only.submit_texts("ed542963de", "1.0.1", {"a": "good"})
    _reason_becomes(api_only, job_id, "no live worker is running")
    listed = {m["modelId"]: m for m in api_only.get("/models").json()}
    assert listed["ed542963de"]["liveWorkers"] == 0
    assert "no live worker" in listed["ed542963de"]["unavailableReason"]
    small = _worker(api_only, INFERJOBS_WORKER__MEMORY_MIB="128")  # sentiment needs 256 MiB
    try:
        reason = _reason_becomes(api_only, job_id, "no live worker can serve")
        assert "256 MiB" in reason and "128 MiB" in reason
        assert api_only.get(f"/jobs/{job_id}").json()["status"] == "SUBMITTED"
        echo = api_only.submit_texts("echo", "1.0.0", {"e": "fits"})  # echo needs 64 MiB
        assert api_only.wait(echo)["status"] == "COMPLETED"
        listing = api_only.server.cli(
            "models", "list", "--json", "--url", api_only.server.url, "--api-key", api_only.key
        ).stdout
        by_id = {m["modelId"]: m for m in json.loads(listing)}
        assert "no live worker can serve" in by_id["ed542963de"]["unavailableReason"]
        assert by_id["echo"]["liveWorkers"] == 1
    finally:
        small.terminate()
        small.wait(30)
    big = _worker(api_only)
    try:
        job = api_only.wait(job_id, timeout=60)
        assert job["status"] == "COMPLETED" and job["queueReason"] is None
    finally:
        big.terminate()
        big.wait(30)
