"""OPEN jobs: chunked uploads appended in order, closed into a queued job."""

from __future__ import annotations

from tests.api.conftest import Api


def _open(api: Api, model: str = "echo", version: str = "1.0.0") -> str:
    response = api.post(
        "/jobs", json={"model": {"identifier": model, "version": version}, "explain": False}
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "OPEN"
    return str(response.json()["jobIdentifier"])


def _chunk(api: Api, job_id: str, source: str, input_name: str, data: bytes) -> int:
    response = api.post(f"/jobs/{job_id}/{source}/{input_name}", files={"input": ("input", data)})
    return response.status_code


def test_chunks_are_concatenated_in_order(api: Api) -> None:
    job_id = _open(api)
    for part in (b"first ", b"second ", b"third"):
        assert _chunk(api, job_id, "doc", "input.txt", part) == 200
    assert _chunk(api, job_id, "other", "input.txt", b"alone") == 200
    open_job = api.get(f"/jobs/{job_id}").json()
    assert open_job["status"] == "OPEN"
    assert open_job["jobInputs"] == [{"identifier": "doc"}, {"identifier": "other"}]
    closed = api.post(f"/jobs/{job_id}/close")
    assert closed.status_code == 200
    assert closed.json()["jobIdentifier"] == job_id
    assert closed.json()["status"] in ("SUBMITTED", "IN_PROGRESS", "COMPLETED")
    job = api.wait(job_id)
    assert job["total"] == 2
    assert job["inputByteAmount"] == len(b"first second third") + len(b"alone")
    results = api.get(f"/results/{job_id}").json()["results"]
    assert results["doc"]["results.json"] == {"text": "first second third"}
    assert results["other"]["results.json"] == {"text": "alone"}


def test_a_raw_body_chunk_is_accepted_too(api: Api) -> None:
    job_id = _open(api)
    response = api.post(
        f"/jobs/{job_id}/raw/input.txt",
        content=b"raw bytes",
        headers={"Content-Type": "application/octet-stream"},
    )
    assert response.status_code == 200
    api.post(f"/jobs/{job_id}/close")
    api.wait(job_id)
    results = api.get(f"/results/{job_id}").json()["results"]
    assert results["raw"]["results.json"] == {"text": "raw bytes"}


def test_upload_errors_name_the_problem(api: Api) -> None:
    job_id = _open(api)
    bad_input = api.post(f"/jobs/{job_id}/doc/wrong.txt", files={"input": ("input", b"x")})
    assert bad_input.status_code == 400
    assert "wrong.txt" in bad_input.json()["message"]
    assert "input.txt" in bad_input.json()["message"]
    empty_close = api.post(f"/jobs/{job_id}/close")
    assert empty_close.status_code == 400
    assert "no uploaded items" in empty_close.json()["message"]
    assert api.get(f"/jobs/{job_id}").json()["status"] == "OPEN"
    no_part = api.post(f"/jobs/{job_id}/doc/input.txt", files={"other": ("input", b"x")})
    assert no_part.status_code == 400 and "'input'" in no_part.json()["message"]


def test_an_upload_over_the_input_size_is_refused(api: Api) -> None:
    job_id = _open(api, "ed542963de", "1.0.1")  # input.txt takes at most 1,000,000 bytes
    assert _chunk(api, job_id, "big", "input.txt", b"a" * 900_000) == 200
    response = api.post(f"/jobs/{job_id}/big/input.txt", files={"input": ("input", b"a" * 200_000)})
    assert response.status_code == 413
    assert "big" in response.json()["message"] and "1000000" in response.json()["message"]


def test_closed_and_canceled_jobs_take_no_uploads(api: Api) -> None:
    job_id = _open(api)
    _chunk(api, job_id, "doc", "input.txt", b"x")
    api.post(f"/jobs/{job_id}/close")
    assert _chunk(api, job_id, "late", "input.txt", b"y") == 409
    assert api.post(f"/jobs/{job_id}/close").status_code == 409
    canceled = _open(api)
    assert api.delete(f"/jobs/{canceled}").json()["status"] == "CANCELED"
    assert _chunk(api, canceled, "doc", "input.txt", b"x") == 409
    assert api.get(f"/results/{canceled}").json()["finished"] is True
