"""GET /jobs/history: every filter, sorting, pages and the Link header."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from tests.api.conftest import Api


@pytest.fixture(scope="module")
def owner(api: Api) -> tuple[Api, dict[str, str]]:
    """A fresh key with four finished jobs: 2 echo, 1 sentiment, 1 canceled sleep."""
    me = api.as_key(api.new_key("Historian", "--email", "hist@example.com"))
    jobs = {
        "echo1": me.submit_texts("echo", "1.0.0", {"a": "1"}),
        "echo2": me.submit_texts("echo", "1.0.0", {"a": "2", "b": "3"}),
        "senti": me.submit_texts("ed542963de", "1.0.1", {"a": "good"}),
    }
    for job_id in jobs.values():
        me.wait(job_id)
    jobs["sleep"] = me.submit_texts("sleep", "1.0.0", {f"s{n}": "300" for n in range(5)})
    me.delete(f"/jobs/{jobs['sleep']}")
    return me, jobs


def _ids(me: Api, **params: object) -> list[str]:
    response = me.get("/jobs/history", params=params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert isinstance(body, list)
    return [j["jobIdentifier"] for j in body]


def test_status_groups(owner: tuple[Api, dict[str, str]]) -> None:
    me, jobs = owner
    assert set(_ids(me, status="all")) == set(jobs.values())
    assert set(_ids(me, status="terminated")) == set(jobs.values())
    assert _ids(me, status="pending") == []
    assert _ids(me, status="CANCELED") == [jobs["sleep"]]
    assert _ids(me, status="canceled") == [jobs["sleep"]]
    assert len(_ids(me, status="COMPLETED")) == 3
    assert _ids(me, status="timedout") == []


def test_model_user_and_key_filters(owner: tuple[Api, dict[str, str]]) -> None:
    me, jobs = owner
    assert _ids(me, model="Sentiment Analysis") == [jobs["senti"]]
    assert _ids(me, model="sentiment") == [jobs["senti"]]
    assert set(_ids(me, model="Echo")) == {jobs["echo1"], jobs["echo2"]}
    assert len(_ids(me, user="historian")) == 4
    assert len(_ids(me, user="hist@example")) == 4
    assert _ids(me, user="somebody-else") == []
    assert len(_ids(me, accessKey=me.key.split(".")[0])) == 4


def test_dates(owner: tuple[Api, dict[str, str]]) -> None:
    me, _ = owner
    hour_ago = (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.000")
    in_hour = (datetime.now(UTC) + timedelta(hours=1)).isoformat(timespec="milliseconds")
    assert len(_ids(me, startDate=hour_ago)) == 4
    assert len(_ids(me, startDate=hour_ago, endDate=in_hour)) == 4
    assert _ids(me, startDate="2001-01-01T00:00:00.000", endDate="2001-02-01") == []
    only_end = me.get("/jobs/history", params={"endDate": in_hour})
    assert only_end.status_code == 400 and "startDate" in only_end.json()["message"]
    future = me.get("/jobs/history", params={"startDate": in_hour})
    assert future.status_code == 400 and "future" in future.json()["message"]
    garbage = me.get("/jobs/history", params={"startDate": "yesterday"})
    assert garbage.status_code == 400 and "startDate" in garbage.json()["message"]


def test_sorting_and_pages(owner: tuple[Api, dict[str, str]]) -> None:
    me, jobs = owner
    ascending = _ids(me, **{"sort-by": "createdAt", "direction": "ASC"})
    assert ascending == _ids(me)  # documented default: createdAt ascending
    assert _ids(me, **{"sort-by": "createdAt", "direction": "desc"}) == ascending[::-1]
    by_total = me.get("/jobs/history", params={"sort-by": "total", "direction": "DESC"}).json()
    assert by_total[0]["jobIdentifier"] == jobs["sleep"]
    first = me.get("/jobs/history", params={"per-page": 3, "page": 1})
    assert len(first.json()) == 3
    assert 'rel="next"' in first.headers["link"] and "page=2" in first.headers["link"]
    second = me.get("/jobs/history", params={"per-page": 3, "page": 2})
    assert len(second.json()) == 1 and "link" not in second.headers
    assert _ids(me, page=0, **{"per-page": 3}) == _ids(me, page=1, **{"per-page": 3})
    assert [j["jobIdentifier"] for j in first.json() + second.json()] == ascending


def test_history_lists_the_job_objects(owner: tuple[Api, dict[str, str]]) -> None:
    me, jobs = owner
    listed = me.get("/jobs/history", params={"per-page": 2, "page": 2}).json()
    assert len(listed) == 2
    for job in listed:  # finished jobs: every field is settled
        assert job == me.get(f"/jobs/{job['jobIdentifier']}").json()
    by_id = {j["jobIdentifier"]: j for j in me.get("/jobs/history").json()}
    assert by_id[jobs["echo2"]]["jobInputs"] == [{"identifier": "a"}, {"identifier": "b"}]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "sideways"}, "status"),
        ({"sort-by": "color"}, "sort-by"),
        ({"direction": "up"}, "direction"),
        ({"per-page": "0"}, "per-page"),
        ({"per-page": "100000"}, "per-page"),
        ({"page": "two"}, "page"),
        ({"page": "-1"}, "page"),
    ],
)
def test_bad_parameters_are_named(api: Api, params: dict[str, str], field: str) -> None:
    response = api.get("/jobs/history", params=params)
    assert response.status_code == 400
    assert field in response.json()["message"]


def test_like_wildcards_in_filters_are_literal(owner: tuple[Api, dict[str, str]]) -> None:
    me, _ = owner
    assert _ids(me, model="%") == []
    assert _ids(me, user="_") == []
    assert _ids(me, model="' OR 1=1 --") == []
