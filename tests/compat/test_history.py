"""`jobs.get_history` with every filter the SDK has, and what one key may see of another's jobs."""

from __future__ import annotations

from typing import Any

import pytest

from tests.compat.runner import SdkRunner

SETUP = """
import time
from datetime import datetime, timezone

def utc_now():
    # naive UTC, as most SDK users pass it: isoformat() then has no zone
    return datetime.now(timezone.utc).replace(tzinfo=None)

client = connect()
ids = {}
ids["A"] = client.jobs.submit_text("echo", "1.0.0", {"s": {"input.txt": "before t1"}})
time.sleep(0.05)
t1 = utc_now()
time.sleep(0.05)
ids["B"] = client.jobs.submit_text("ed542963de", "1.0.1", {"s": {"input.txt": "good"}})
time.sleep(0.01)
ids["C"] = client.jobs.submit_text("ed542963de", "1.0.1", {"s": {"input.txt": "bad"}})
time.sleep(0.01)
ids["D"] = client.jobs.submit_text("echo", "1.0.0", {"s": {"input.txt": "last"}})
for job in ids.values():
    job.block_until_complete(timeout=60, poll_interval=0.2)
time.sleep(0.05)
t2 = utc_now()
time.sleep(0.05)
# an OPEN job (what submit_file starts with) is pending until closed
ids["E"] = client.http.post(
    "/jobs", {"model": {"identifier": "ed542963de", "version": "1.0.1"}, "explain": False}
)
emit({
    "ids": {name: job["jobIdentifier"] for name, job in ids.items()},
    "statuses": {name: client.jobs.get(job["jobIdentifier"]).status for name, job in ids.items()},
    "t1": t1.isoformat(timespec="milliseconds"),
    "t2": t2.isoformat(timespec="milliseconds"),
})
"""

QUERY = """
from datetime import datetime
client = connect()

def run(query):
    query = dict(query)
    for name in ("start_date", "end_date"):
        if query.get(name):
            query[name] = datetime.fromisoformat(query[name])
    try:
        jobs = client.jobs.get_history(**query)
    except Exception as exc:
        return {"error": type(exc).__name__, "message": str(exc)}
    return {"ids": [job.job_identifier for job in jobs], "jobs": jobs}

emit({name: run(query) for name, query in P["queries"].items()})
"""


@pytest.fixture(scope="module")
def history_key(sdk: SdkRunner) -> str:
    return sdk.new_key("historian", "--email", "historian@example.com")


@pytest.fixture(scope="module")
def history_jobs(sdk: SdkRunner, history_key: str) -> dict[str, Any]:
    """Five jobs of one key: A before t1; B, C (sentiment), D between t1 and t2; E OPEN after."""
    setup = sdk.run(SETUP, key=history_key)
    assert setup["statuses"] == {
        "A": "COMPLETED",
        "B": "COMPLETED",
        "C": "COMPLETED",
        "D": "COMPLETED",
        "E": "OPEN",
    }
    return setup


def _names(found: dict[str, Any], ids: dict[str, str]) -> list[str]:
    assert "ids" in found, f"get_history raised: {found}"
    by_id = {job_id: name for name, job_id in ids.items()}
    return [by_id.get(job_id, f"foreign:{job_id}") for job_id in found["ids"]]


def test_history_filters(sdk: SdkRunner, history_key: str, history_jobs: dict[str, Any]) -> None:
    ids, t1, t2 = history_jobs["ids"], history_jobs["t1"], history_jobs["t2"]
    prefix = history_key.split(".")[0]
    mine = {"access_key": prefix, "per_page": 100}
    queries = {
        "defaults": {},
        "access_key": mine,
        "user": {"user": "historian", "per_page": 100},
        "user_by_email": {"user": "historian@example", "per_page": 100},
        "user_other": {"user": "nobody-of-that-name", "per_page": 100},
        "start": {**mine, "start_date": t1},
        "window": {**mine, "start_date": t1, "end_date": t2},
        "model": {**mine, "model": "Sentiment Analysis"},
        "status_all": {**mine, "status": "all"},
        "status_pending": {**mine, "status": "pending"},
        "status_terminated": {**mine, "status": "terminated"},
        "asc": {**mine, "sort_by": "createdAt", "direction": "asc"},
        "desc": {**mine, "sort_by": "createdAt", "direction": "desc"},
        "page1": {**mine, "sort_by": "createdAt", "direction": "desc", "page": 1, "per_page": 2},
        "page2": {**mine, "sort_by": "createdAt", "direction": "desc", "page": 2, "per_page": 2},
        "page3": {**mine, "sort_by": "createdAt", "direction": "desc", "page": 3, "per_page": 2},
        "page0": {**mine, "sort_by": "createdAt", "direction": "desc", "page": 0, "per_page": 2},
        "page4": {**mine, "sort_by": "createdAt", "direction": "desc", "page": 4, "per_page": 2},
        "everything_p1": {
            "user": "historian",
            "access_key": prefix,
            "start_date": t1,
            "end_date": t2,
            "model": "Sentiment Analysis",
            "status": "terminated",
            "sort_by": "createdAt",
            "direction": "desc",
            "page": 1,
            "per_page": 1,
        },
        "everything_p2": {
            "user": "historian",
            "access_key": prefix,
            "start_date": t1,
            "end_date": t2,
            "model": "Sentiment Analysis",
            "status": "terminated",
            "sort_by": "createdAt",
            "direction": "desc",
            "page": 2,
            "per_page": 1,
        },
        "end_without_start": {**mine, "end_date": t2},
    }
    out = sdk.run(QUERY, key=history_key, params={"queries": queries})

    def names(query: str) -> list[str]:
        return _names(out[query], ids)

    every = ["A", "B", "C", "D", "E"]
    # get_history() sends only status=all: this key's own jobs, in created order
    assert names("defaults") == every
    assert names("access_key") == every
    assert names("user") == every
    assert names("user_by_email") == every
    assert names("user_other") == []
    assert names("start") == ["B", "C", "D", "E"]
    assert names("window") == ["B", "C", "D"]
    assert names("model") == ["B", "C", "E"]
    assert names("status_all") == every
    assert names("status_pending") == ["E"]
    assert names("status_terminated") == ["A", "B", "C", "D"]
    assert names("asc") == every
    assert names("desc") == every[::-1]
    assert names("page1") == ["E", "D"]
    assert names("page2") == ["C", "B"]
    assert names("page3") == ["A"]
    assert names("page4") == []
    assert names("page0") == ["E", "D"]  # page 0 reads as page 1
    assert names("everything_p1") == ["C"]
    assert names("everything_p2") == ["B"]
    assert out["end_without_start"]["error"] == "BadRequestError"
    assert "startDate" in out["end_without_start"]["message"]

    # the items are job-details objects, as the SDK's own tests read them
    for job in out["access_key"]["jobs"]:
        assert job["submittedBy"] == prefix
        assert job["model"]["identifier"] in ("echo", "ed542963de")
        assert job["model"]["version"] in ("1.0.0", "1.0.1")
        assert job["model"]["name"]
        assert job["status"] in ("COMPLETED", "OPEN")


def test_history_with_aware_dates_and_exact_status(
    sdk: SdkRunner, history_key: str, history_jobs: dict[str, Any]
) -> None:
    ids, t1, t2 = history_jobs["ids"], history_jobs["t1"], history_jobs["t2"]
    out = sdk.run(
        """
        from datetime import datetime, timezone
        client = connect()
        start = datetime.fromisoformat(P["t1"]).replace(tzinfo=timezone.utc)
        end = datetime.fromisoformat(P["t2"]).replace(tzinfo=timezone.utc)
        emit({
            "aware": [j.job_identifier for j in client.jobs.get_history(
                start_date=start, end_date=end)],
            "strings": [j.job_identifier for j in client.jobs.get_history(
                start_date=P["t1"], end_date=P["t2"], status="COMPLETED")],
            "exact_open": [j.job_identifier for j in client.jobs.get_history(status="OPEN")],
            "future": capture(client.jobs.get_history, start_date="2999-01-01T00:00:00.000"),
        })
        """,
        key=history_key,
        params={"t1": t1, "t2": t2},
    )
    assert _names({"ids": out["aware"]}, ids) == ["B", "C", "D"]
    assert _names({"ids": out["strings"]}, ids) == ["B", "C", "D"]
    assert _names({"ids": out["exact_open"]}, ids) == ["E"]
    assert out["future"]["type"] == "BadRequestError"


def test_admin_key_filters_by_access_key(
    sdk: SdkRunner, history_key: str, history_jobs: dict[str, Any]
) -> None:
    """The admin key sees its whole account; accessKey narrows that to one key's jobs."""
    ids, t1 = history_jobs["ids"], history_jobs["t1"]
    admin_prefix = sdk.server.key.split(".")[0]
    queries = {
        "theirs": {"access_key": history_key.split(".")[0], "start_date": t1, "per_page": 100},
        "own": {"access_key": admin_prefix, "start_date": t1, "per_page": 1000},
    }
    out = sdk.run(QUERY, params={"queries": queries})
    assert _names(out["theirs"], ids) == ["B", "C", "D", "E"]
    assert not set(out["own"]["ids"]) & set(ids.values())
    assert all(job["submittedBy"] == admin_prefix for job in out["own"]["jobs"])


def test_other_key_sees_none_of_these_jobs(
    sdk: SdkRunner, history_key: str, history_jobs: dict[str, Any]
) -> None:
    ids = history_jobs["ids"]
    other_key = sdk.new_key("other")
    out = sdk.run(
        """
        client = connect()
        own = client.jobs.submit_text("echo", "1.0.0", {"x": {"input.txt": "mine"}})
        own.block_until_complete(timeout=60, poll_interval=0.2)
        emit({
            "own": own.job_identifier,
            "history": [j.job_identifier for j in client.jobs.get_history(per_page=1000)],
            "by_their_prefix": [j.job_identifier for j in client.jobs.get_history(
                access_key=P["their_prefix"], per_page=1000)],
            "get": capture(client.jobs.get, P["theirs"]),
            "results": capture(client.results.get, P["theirs"]),
            "wait": capture(
                client.results.block_until_complete, P["theirs"], timeout=5, poll_interval=0.2
            ),
            "cancel": capture(client.jobs.cancel, P["open"]),
        })
        """,
        key=other_key,
        params={
            "theirs": ids["B"],
            "open": ids["E"],
            "their_prefix": history_key.split(".")[0],
        },
    )
    assert out["history"] == [out["own"]]
    assert out["by_their_prefix"] == []
    for name in ("get", "results", "wait", "cancel"):
        assert out[name]["type"] == "NotFoundError", (name, out[name])
        assert out[name]["status"] == 404, (name, out[name])

    # and the first key does not see the other key's job either
    back = sdk.run(
        """
        client = connect()
        emit({
            "history": [j.job_identifier for j in client.jobs.get_history(per_page=1000)],
            "get": capture(client.jobs.get, P["job"]),
            "open_still": client.jobs.get(P["open"]).status,
        })
        """,
        key=history_key,
        params={"job": out["own"], "open": ids["E"]},
    )
    assert out["own"] not in back["history"]
    assert set(back["history"]) == set(ids.values())
    assert back["get"]["type"] == "NotFoundError"
    assert back["open_still"] == "OPEN"  # the other key's cancel did not touch it


def test_admin_key_of_another_account_sees_nothing(
    sdk: SdkRunner, history_jobs: dict[str, Any]
) -> None:
    ids = history_jobs["ids"]
    outsider = sdk.new_key("outsider", "--admin", "--account", "elsewhere")
    out = sdk.run(
        """
        client = connect()
        emit({
            "history": [j.job_identifier for j in client.jobs.get_history(per_page=1000)],
            "get": capture(client.jobs.get, P["job"]),
            "results": capture(client.results.get, P["job"]),
        })
        """,
        key=outsider,
        params={"job": ids["B"]},
    )
    assert not set(out["history"]) & set(ids.values())
    assert out["get"]["type"] == "NotFoundError"
    assert out["results"]["type"] == "NotFoundError"
