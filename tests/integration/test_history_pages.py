"""History pages on SQLite and PostgreSQL: the same job objects as GET /jobs/{id}, and pages
that add up to the whole listing whatever the sort, direction and filters."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inferjobs.runtime import Runtime
from inferjobs.services.keys import Principal
from tests.support.runtime import principal, runtime_for, text_job

CLOCK_FIELDS = ("queueTime", "elapsedTime")  # computed from the time of the request


def _submit(rt: Runtime, who: Principal, model: str, version: str, names: list[str]) -> str:
    body = text_job(model, version, {name: f"text {name}" for name in names})
    return str(rt.jobs.submit(who, body)["jobIdentifier"])


def _open_job(rt: Runtime, who: Principal, sources: list[str]) -> str:
    body = {"model": {"identifier": "echo", "version": "1.0.0"}, "explain": False}
    job_id = str(rt.jobs.submit(who, body)["jobIdentifier"])
    for source in sources:
        rt.jobs.upload(who, job_id, source, "input.txt", b"chunk")
    return job_id


def _steady(job: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in job.items() if k not in CLOCK_FIELDS}


def _ids(rt: Runtime, who: Principal, **params: str) -> list[str]:
    page, _ = rt.jobs.history(who, params)
    return [job["jobIdentifier"] for job in page]


def test_history_objects_are_the_job_objects(database_url: str, tmp_path: Path) -> None:
    with runtime_for(database_url, tmp_path) as rt:  # no worker: submitted jobs wait
        rt.settings.api.job_inputs_limit = 2
        who = principal(rt)
        three = _submit(rt, who, "echo", "1.0.0", ["c", "a", "b"])
        one = _submit(rt, who, "ed542963de", "1.0.1", ["x"])
        opened = _open_job(rt, who, ["second", "first", "second"])
        empty = _open_job(rt, who, [])
        page, more = rt.jobs.history(who, {})
        assert not more
        by_id = {job["jobIdentifier"]: job for job in page}
        assert set(by_id) == {three, one, opened, empty}
        for job_id, job in by_id.items():
            assert _steady(job) == _steady(rt.jobs.get(who, job_id))
        assert by_id[three]["jobInputs"] == [{"identifier": "c"}, {"identifier": "a"}]
        assert by_id[one]["jobInputs"] == [{"identifier": "x"}]
        assert by_id[opened]["jobInputs"] == [{"identifier": "second"}, {"identifier": "first"}]
        assert by_id[empty]["jobInputs"] == []
        assert by_id[three]["queueReason"].startswith("no live worker is running")
        assert by_id[opened]["queueReason"] is None
        rt.settings.api.job_inputs_limit = 0  # no item names; an OPEN job's sources still
        for job in rt.jobs.history(who, {})[0]:
            assert _steady(job) == _steady(rt.jobs.get(who, job["jobIdentifier"]))
            listed = by_id[opened]["jobInputs"] if job["jobIdentifier"] == opened else []
            assert job["jobInputs"] == listed


def test_pages_add_up_to_the_whole_listing(database_url: str, tmp_path: Path) -> None:
    with runtime_for(database_url, tmp_path) as rt:
        who = principal(rt)
        other = principal(rt, "other")
        for n in range(7):
            model = ("echo", "1.0.0") if n % 2 else ("ed542963de", "1.0.1")
            _submit(rt, who, *model, [f"i{k}" for k in range(1 + n % 3)])
        _submit(rt, other, "echo", "1.0.0", ["not mine"])
        rt.jobs.cancel(who, _ids(rt, who)[2])
        cases: list[dict[str, str]] = [
            {},
            {"direction": "DESC"},
            {"sort-by": "total", "direction": "DESC"},
            {"sort-by": "status,createdAt"},
            {"model": "echo"},
            {"status": "pending", "sort-by": "identifier"},
        ]
        for params in cases:
            whole = _ids(rt, who, **params, **{"per-page": "100"})
            paged: list[str] = []
            for number in range(1, 10):
                page, more = rt.jobs.history(who, {**params, "page": str(number), "per-page": "3"})
                paged += [job["jobIdentifier"] for job in page]
                assert more == (len(whole) > 3 * number), params
            assert paged == whole, params
        assert len(_ids(rt, who, **{"per-page": "100"})) == 7
        assert len(_ids(rt, who, model="echo")) == 3
        assert len(_ids(rt, who, status="pending")) == 6
