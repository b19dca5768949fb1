"""aws-s3, storage-grid and aws-s3-folder against a real S3 server (SeaweedFS)."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Api
from tests.support.s3server import S3Server


def _s3_input(
    s3: S3Server, sources: dict[str, Any], kind: str = "aws-s3", secret: str | None = None
) -> dict[str, Any]:
    return {
        "type": kind,
        "accessKeyID": s3.access_key,
        "secretAccessKey": secret or s3.secret_key,
        "region": "us-east-1",
        "endpoint": s3.endpoint,
        "sources": sources,
    }


def _submit(api: Api, model: str, version: str, payload: dict[str, Any]) -> Any:
    return api.post(
        "/jobs",
        json={
            "model": {"identifier": model, "version": version},
            "explain": False,
            "input": payload,
        },
    )


def test_objects_are_fetched_per_item(api: Api, s3: S3Server, bucket: str) -> None:
    client = s3.client()
    client.put_object(Bucket=bucket, Key="texts/good.txt", Body=b"I love sunny days")
    client.put_object(Bucket=bucket, Key="texts/bad.txt", Body=b"I hate rainy traffic jams")
    sources = {
        "good": {"input.txt": {"bucket": bucket, "key": "/texts/good.txt"}},
        "bad": {"input.txt": {"bucket": bucket, "key": "texts/bad.txt"}},
    }
    response = _submit(api, "ed542963de", "1.0.1", _s3_input(s3, sources))
    assert response.status_code == 200, response.text
    job = api.wait(response.json()["jobIdentifier"])
    assert (job["status"], job["completed"]) == ("COMPLETED", 2)
    results = api.get(f"/results/{job['jobIdentifier']}").json()["results"]
    top = {
        k: v["results.json"]["data"]["result"]["classPredictions"][0]["class"]
        for k, v in results.items()
    }
    assert top == {"good": "positive", "bad": "negative"}


def test_single_unwrapped_source_and_storage_grid(api: Api, s3: S3Server, bucket: str) -> None:
    s3.client().put_object(Bucket=bucket, Key="one.txt", Body=b"just one")
    sources = {"input.txt": {"bucket": bucket, "key": "one.txt"}}  # as modzy-sdk sends it
    for kind in ("aws-s3", "storage-grid"):
        response = _submit(api, "echo", "1.0.0", _s3_input(s3, sources, kind))
        assert response.status_code == 200, response.text
        job = api.wait(response.json()["jobIdentifier"])
        results = api.get(f"/results/{job['jobIdentifier']}").json()["results"]
        assert results["job"]["results.json"] == {"text": "just one"}


def test_quick_checks_refuse_bad_jobs_at_submit(api: Api, s3: S3Server, bucket: str) -> None:
    s3.client().put_object(Bucket=bucket, Key="a.txt", Body=b"x")
    ok = {"a": {"input.txt": {"bucket": bucket, "key": "a.txt"}}}
    wrong_secret = _submit(api, "echo", "1.0.0", _s3_input(s3, ok, secret="not-the-secret"))
    assert wrong_secret.status_code == 400
    assert "refused the credentials" in wrong_secret.json()["message"]
    assert "not-the-secret" not in wrong_secret.text
    no_bucket = _submit(
        api,
        "echo",
        "1.0.0",
        _s3_input(s3, {"a": {"input.txt": {"bucket": "no-such-bucket-x", "key": "a.txt"}}}),
    )
    assert no_bucket.status_code == 400 and "bucket does not exist" in no_bucket.json()["message"]
    no_object = _submit(
        api,
        "echo",
        "1.0.0",
        _s3_input(s3, {"gone": {"input.txt": {"bucket": bucket, "key": "missing.txt"}}}),
    )
    assert no_object.status_code == 400
    assert "item 'gone'" in no_object.json()["message"]
    assert "object does not exist" in no_object.json()["message"]
    empty = _submit(
        api,
        "echo",
        "1.0.0",
        _s3_input(
            s3, {"f": {"input.txt": {"bucket": bucket, "key": "nothing-here/"}}}, "aws-s3-folder"
        ),
    )
    assert empty.status_code == 400 and "is empty" in empty.json()["message"]
    no_endpoint = _submit(
        api, "echo", "1.0.0", {**_s3_input(s3, ok, "storage-grid"), "endpoint": None}
    )
    assert no_endpoint.status_code == 400 and "input.endpoint" in no_endpoint.json()["message"]


def test_objects_past_the_quick_checks_fail_alone(api: Api, s3: S3Server, bucket: str) -> None:
    client = s3.client()
    sources = {}
    for n in range(25):  # only the first 20 are checked at submit
        client.put_object(Bucket=bucket, Key=f"k{n}.txt", Body=f"text {n}".encode())
        sources[f"i{n:02d}"] = {"input.txt": {"bucket": bucket, "key": f"k{n}.txt"}}
    sources["i99"] = {"input.txt": {"bucket": bucket, "key": "never-written.txt"}}
    response = _submit(api, "echo", "1.0.0", _s3_input(s3, sources))
    assert response.status_code == 200, response.text
    job = api.wait(response.json()["jobIdentifier"])
    assert (job["completed"], job["failed"]) == (25, 1)
    failure = api.get(f"/results/{job['jobIdentifier']}").json()["failures"]["i99"]
    assert "object does not exist" in failure["error"]


def test_a_folder_becomes_items_paired_across_inputs(api: Api, s3: S3Server, bucket: str) -> None:
    client = s3.client()
    for n in range(250):  # several pages of 100
        client.put_object(Bucket=bucket, Key=f"left/doc-{n:03d}.txt", Body=f"cat {n}".encode())
        if n != 7:
            client.put_object(Bucket=bucket, Key=f"right/doc-{n:03d}.txt", Body=f"cat {n}".encode())
    sources = {
        "pairs": {
            "text-a.txt": {"bucket": bucket, "key": "left/"},
            "text-b.txt": {"bucket": bucket, "key": "right/"},
        }
    }
    response = _submit(api, "text-similarity", "1.0.0", _s3_input(s3, sources, "aws-s3-folder"))
    assert response.status_code == 200, response.text
    job = api.wait(response.json()["jobIdentifier"], timeout=120)
    assert (job["status"], job["total"], job["completed"], job["failed"]) == (
        "COMPLETED",
        250,
        249,
        1,
    )
    results = api.get(f"/results/{job['jobIdentifier']}").json()
    assert (
        results["results"]["pairs/doc-000.txt"]["results.json"]["data"]["result"]["cosine"] == 1.0
    )
    assert "text-b.txt" in results["failures"]["pairs/doc-007.txt"]["error"]


def test_loopback_endpoints_are_refused_by_default(server: Any, s3: S3Server) -> None:
    api = Api(server)
    try:
        sources = {"a": {"input.txt": {"bucket": "b", "key": "k"}}}
        response = _submit(api, "echo", "1.0.0", _s3_input(s3, sources))
        assert response.status_code == 400
        assert "127.0.0.1" in response.json()["message"]
        assert "INFERJOBS_SOURCES__ALLOWED_HOSTS" in response.json()["message"]
    finally:
        api.close()
