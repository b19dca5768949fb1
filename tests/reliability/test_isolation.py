"""Another key's jobs, on every route (beyond tests/api/test_auth_and_isolation.py): an OPEN
job's uploads and close, filters that name the owner, Idempotency-Keys, model changes; and a
revoked key stops at once on every route."""

from __future__ import annotations

from typing import Any

import httpx

from tests.api.conftest import Api
from tests.reliability import figures
from tests.reliability.keys import make_key, revoke_key

OWNER_NAME = "owner-of-secrets"


def _open_with_chunk(api: Api) -> str:
    response = api.post(
        "/jobs",
        json={"model": {"identifier": "echo", "version": "1.0.0"}},
        headers={"Idempotency-Key": "shared-key"},
    )
    job_id = str(response.json()["jobIdentifier"])
    api.post(f"/jobs/{job_id}/doc/input.txt", files={"input": ("input", b"owner's words")})
    return job_id


def _keyed_routes(job_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    chunk = {"files": {"input": ("input", b"intruder")}}
    return [
        ("GET", f"/jobs/{job_id}", {}),
        ("GET", f"/results/{job_id}", {}),
        ("GET", f"/results/{job_id}/doc/results.json", {}),
        ("GET", f"/results/{job_id}/datasource/doc/output/results.json", {}),
        ("POST", f"/jobs/{job_id}/doc/input.txt", chunk),
        ("POST", f"/jobs/{job_id}/other/input.txt", chunk),
        ("POST", f"/jobs/{job_id}/close", {}),
        ("DELETE", f"/jobs/{job_id}", {}),
    ]


def test_an_open_job_is_invisible_to_another_key(hostile_api: Api) -> None:
    owner = hostile_api.as_key(make_key(hostile_api, OWNER_NAME))
    job_id = _open_with_chunk(owner)
    intruder = hostile_api.as_key(make_key(hostile_api, "intruder"))
    stranger_admin = hostile_api.as_key(
        make_key(hostile_api, "admin-elsewhere", admin=True, account="elsewhere")
    )
    checked = 0
    for who in (intruder, stranger_admin):
        for method, path, extra in _keyed_routes(job_id):
            response = who.http.request(method, path, **extra)
            assert response.status_code == 404, (method, path, response.text)
            assert job_id in response.json()["message"]
            checked += 1
    job = owner.get(f"/jobs/{job_id}").json()
    assert job["status"] == "OPEN" and job["jobInputs"] == [{"identifier": "doc"}]
    assert hostile_api.get(f"/jobs/{job_id}").status_code == 200  # the account's admin
    figures.record("isolation", routes_checked=checked, leaks=0)


def test_history_filters_never_reach_another_keys_jobs(hostile_api: Api) -> None:
    owner = hostile_api.as_key(make_key(hostile_api, OWNER_NAME, email="owner@example.com"))
    job_id = owner.submit_texts("echo", "1.0.0", {"a": "mine"})
    prefix = owner.key.split(".")[0]
    intruder = hostile_api.as_key(make_key(hostile_api, "intruder"))
    stranger_admin = hostile_api.as_key(
        make_key(hostile_api, "admin-elsewhere", admin=True, account="elsewhere")
    )
    filters = [
        {"accessKey": prefix},
        {"user": OWNER_NAME},
        {"user": "owner@example.com"},
        {"model": "echo"},
        {"modelIdentifier": "echo", "modelVersion": "1.0.0"},
        {"status": "all", "per-page": "1000"},
        {"startDate": "2000-01-01T00:00:00Z", "sort-by": "submittedBy", "direction": "DESC"},
    ]
    for who in (intruder, stranger_admin):
        for params in filters:
            response = who.get("/jobs/history", params=params)
            assert response.status_code == 200
            assert job_id not in response.text, params
    mine = hostile_api.get("/jobs/history", params={"accessKey": prefix}).json()
    assert [j["jobIdentifier"] for j in mine] == [job_id]  # the account's admin sees it
    figures.record("isolation", history_filters_checked=2 * len(filters), leaks=0)


def test_an_idempotency_key_is_per_api_key(hostile_api: Api) -> None:
    owner = hostile_api.as_key(make_key(hostile_api, OWNER_NAME))
    job_id = _open_with_chunk(owner)
    intruder = hostile_api.as_key(make_key(hostile_api, "intruder"))
    body = {"model": {"identifier": "echo", "version": "1.0.0"}}
    theirs = intruder.post("/jobs", json=body, headers={"Idempotency-Key": "shared-key"})
    assert theirs.status_code == 200
    assert theirs.json()["jobIdentifier"] != job_id
    again = owner.post("/jobs", json=body, headers={"Idempotency-Key": "shared-key"})
    assert again.json()["jobIdentifier"] == job_id


def test_models_cannot_be_changed_by_a_user_key(hostile_api: Api) -> None:
    user = hostile_api.as_key(make_key(hostile_api, "user"))
    change = {"minimumParallelCapacity": 5}
    response = user.http.patch("/models/echo/versions/1.0.0/processing", json=change)
    assert response.status_code == 404


def test_a_revoked_key_stops_at_once_on_every_route(hostile_api: Api) -> None:
    key = make_key(hostile_api, "soon-revoked")
    doomed = hostile_api.as_key(key)
    job_id = _open_with_chunk(doomed)
    assert doomed.get(f"/jobs/{job_id}").status_code == 200
    revoke_key(hostile_api, key)
    routes = [
        *_keyed_routes(job_id),
        ("GET", "/jobs/history", {}),
        ("GET", "/jobs/features", {}),
        ("POST", "/jobs", {"json": {"model": {"identifier": "echo", "version": "1.0.0"}}}),
        ("GET", "/models", {}),
        ("GET", "/models/echo/versions/1.0.0", {}),
        ("GET", "/resources/processing/engines", {}),
    ]
    for method, path, extra in routes:
        response: httpx.Response = doomed.http.request(method, path, **extra)
        assert response.status_code == 401, (method, path, response.text)
    assert hostile_api.get(f"/jobs/{job_id}").json()["status"] == "OPEN"  # the job stays
    figures.record("isolation", revoked_key_routes_checked=len(routes))
