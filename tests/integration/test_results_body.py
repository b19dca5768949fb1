"""GET /results builds a small job's body from one query and streams a large job's: both
must say the same, for successful items and for items that ended without a result."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from inferjobs.runtime import Runtime
from inferjobs.services import results
from inferjobs.services.keys import Principal
from tests.support.runtime import principal, runtime_for, text_job

BASE = "http://127.0.0.1:1"


def _both(rt: Runtime, who: Principal, job_id: str) -> tuple[Any, Any]:
    job = rt.jobs.visible(who, job_id)
    whole = json.loads(results.whole(rt.db, job, BASE))
    streamed = json.loads(b"".join(results.stream(rt.db, job, BASE)))
    return whole, streamed


def test_whole_and_streamed_results_agree(database_url: str, tmp_path: Path) -> None:
    with runtime_for(database_url, tmp_path) as rt:
        who = principal(rt)
        texts = {f"item-{n}": f"text {n}" for n in range(5)}
        ran = rt.jobs.submit(who, text_job("echo", "1.0.0", texts))["jobIdentifier"]
        rt.start_workers(1)
        deadline = time.monotonic() + 60
        while rt.jobs.get(who, ran)["status"] != "COMPLETED":
            assert time.monotonic() < deadline, "the job did not complete"
            time.sleep(0.05)
        rt.stop_workers(5)
        canceled = rt.jobs.submit(who, text_job("echo", "1.0.0", texts))["jobIdentifier"]
        rt.jobs.cancel(who, canceled)

        whole, streamed = _both(rt, who, ran)
        assert whole == streamed
        assert sorted(whole["results"]) == sorted(texts) and whole["failures"] == {}
        assert whole["results"]["item-3"]["results.json"] == {"text": "text 3"}
        assert whole["totalModelLatency"] > 0 and whole["initialQueueTime"] >= 0

        whole, streamed = _both(rt, who, canceled)
        assert whole == streamed
        assert whole["results"] == {} and sorted(whole["failures"]) == sorted(texts)
        assert {f["reason"] for f in whole["failures"].values()} == {"CANCELED"}
