"""Credentials from a job never come back: not in any response, log line or the database."""

from __future__ import annotations

import sqlite3
from typing import Any

import httpx

from tests.api.conftest import Api
from tests.support.s3server import S3Server


def test_no_route_and_no_log_line_holds_a_secret(
    api: Api, s3: S3Server, bucket: str, pg_source: dict[str, str]
) -> None:
    s3.client().put_object(Bucket=bucket, Key="s.txt", Body=b"secret-free text")
    bodies: list[str] = []

    def call(method: str, path: str, **kw: Any) -> httpx.Response:
        response = api.http.request(method, path, **kw)
        bodies.append(response.text + str(dict(response.headers)))
        return response

    s3_job = call(
        "POST",
        "/jobs",
        json={
            "model": {"identifier": "echo", "version": "1.0.0"},
            "input": {
                "type": "aws-s3",
                "accessKeyID": s3.access_key,
                "secretAccessKey": s3.secret_key,
                "region": "us-east-1",
                "endpoint": s3.endpoint,
                "sources": {"s": {"input.txt": {"bucket": bucket, "key": "s.txt"}}},
            },
        },
    ).json()
    jdbc_job = call(
        "POST",
        "/jobs",
        json={
            "model": {"identifier": "echo", "version": "1.0.0"},
            "input": {
                "type": "jdbc",
                **pg_source,
                "query": 'SELECT body AS "input.txt" FROM reviews',
            },
        },
    ).json()
    call(
        "POST",
        "/jobs",
        json={  # a failing submit echoes no secret either
            "model": {"identifier": "echo", "version": "1.0.0"},
            "input": {
                "type": "aws-s3",
                "accessKeyID": s3.access_key,
                "secretAccessKey": "wrong-" + s3.secret_key,
                "region": "us-east-1",
                "endpoint": s3.endpoint,
                "sources": {"s": {"input.txt": {"bucket": bucket, "key": "s.txt"}}},
            },
        },
    )
    for job in (s3_job, jdbc_job):
        api.wait(job["jobIdentifier"])
        for path in (f"/jobs/{job['jobIdentifier']}", f"/results/{job['jobIdentifier']}"):
            call("GET", path)
    call("GET", "/jobs/history", params={"per-page": 1000})
    logs = api.server.log.read_text()
    secrets = (s3.secret_key, pg_source["password"])
    for text in [*bodies, logs]:
        for secret in secrets:
            assert secret not in text
    database = api.server.data_dir / "inferjobs.db"
    with sqlite3.connect(database) as conn:
        left = conn.execute("SELECT count(*) FROM job_secrets").fetchone()[0]
    assert left == 0, "credentials must be deleted when their job ends"
    raw = database.read_bytes() + b"".join(
        p.read_bytes() for p in api.server.data_dir.glob("inferjobs.db-*")
    )
    for secret in secrets:
        assert secret.encode() not in raw
