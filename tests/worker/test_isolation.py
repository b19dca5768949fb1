"""Model processes that raise, crash, hang or leak fail only their own item; cancel interrupts."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.api.conftest import Api, serve_api
from tests.support.plugins import plugin_env
from tests.support.server import start_server


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    env = {
        **plugin_env(),
        "INFERJOBS_WORKER__LEASE_SECONDS": "3",
        "INFERJOBS_WORKER__HEARTBEAT_SECONDS": "0.5",
    }
    yield from serve_api(
        start_server(tmp_path_factory.mktemp("iso"), extra_env=env, args=("--slots", "1"))
    )


def _run(api: Api, texts: dict[str, str], timeout: float = 60) -> dict[str, dict[str, object]]:
    job_id = api.submit_texts("misbehave", "0.1.0", texts)
    job = api.wait(job_id, timeout)
    assert job["status"] == "COMPLETED"
    results = api.get(f"/results/{job_id}").json()
    return {**results["results"], **results["failures"]}


@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("raise", "ValueError: the model raised on purpose"),
        ("crash", "exited with code 7"),
        ("hang", "longer than 3000 ms"),
        ("leak", "over its limit of 400 MiB"),
    ],
)
def test_only_the_bad_item_fails(api: Api, bad: str, reason: str) -> None:
    outcome = _run(api, {"first": "fine", "bad": bad, "last": "also fine"})
    assert outcome["first"]["status"] == "SUCCESSFUL"
    assert outcome["last"]["status"] == "SUCCESSFUL"
    assert outcome["bad"]["status"] == "FAILED"
    assert reason in str(outcome["bad"]["error"])
    # the model process was restarted: the next job runs normally
    assert _run(api, {"after": "ok"})["after"]["results.json"] == {"ok": "ok"}


def test_heartbeats_flow_during_a_long_prediction(api: Api) -> None:
    job_id = api.submit_texts("sleep", "1.0.0", {"long": "5000"})  # longer than the 3 s lease
    api.wait(job_id, timeout=30)
    result = api.get(f"/results/{job_id}").json()["results"]["long"]
    assert result["attempts"] == 1


def test_cancel_interrupts_the_running_batch(api: Api) -> None:
    _run(api, {"warm": "ok"})  # the slot's model process is up
    long_job = api.submit_texts("sleep", "1.0.0", {"nap": "30000"})
    deadline = time.monotonic() + 20
    while api.get(f"/jobs/{long_job}").json()["status"] != "IN_PROGRESS":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(0.5)
    canceled_at = time.monotonic()
    assert api.delete(f"/jobs/{long_job}").json()["status"] == "CANCELED"
    quick = api.submit_texts("echo", "1.0.0", {"q": "after cancel"})
    api.wait(quick, timeout=20)
    # With one slot, the echo job could only run once the 30 s batch was interrupted.
    assert time.monotonic() - canceled_at < 10
