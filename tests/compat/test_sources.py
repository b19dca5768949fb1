"""External sources through modzy-sdk's own submit methods: submit_aws_s3,
submit_storagegrid, submit_azureblob and submit_jdbc, against real servers."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from textwrap import dedent

import pytest

from tests.compat.runner import SdkRunner
from tests.support.azurite import Azurite
from tests.support.s3server import S3Server
from tests.support.server import ServerProcess, start_server

WAIT = """
job.block_until_complete(timeout=60, poll_interval=0.2)
result = client.results.block_until_complete(job, timeout=60, poll_interval=0.2)
emit({"status": job.status, "results": {name: result.get_source_outputs(name)["results.json"]
                                        for name in result.results}, "failed": result.failed})
"""


@pytest.fixture(scope="module")
def source_server(
    tmp_path_factory: pytest.TempPathFactory, s3: S3Server, blob_store: Azurite
) -> Iterator[ServerProcess]:
    """The SDK sends no endpoint for aws-s3 and azureblob: the server's defaults point at the
    local SeaweedFS and Azurite."""
    env = {
        "INFERJOBS_SOURCES__ALLOWED_HOSTS": "127.0.0.1",
        "INFERJOBS_SOURCES__S3_ENDPOINT": s3.endpoint,
        "INFERJOBS_SOURCES__AZURE_ENDPOINT": blob_store.endpoint.replace(
            blob_store.account, "{account}"
        ),
    }
    server = start_server(tmp_path_factory.mktemp("sdk-sources"), extra_env=env)
    yield server
    server.stop()


def test_submit_aws_s3_and_storagegrid(
    sdk: SdkRunner, source_server: ServerProcess, s3: S3Server, bucket: str
) -> None:
    client = s3.client()
    client.put_object(Bucket=bucket, Key="in/a.txt", Body=b"from s3")
    client.put_object(Bucket=bucket, Key="in/b.txt", Body=b"from storagegrid")
    params = {
        "bucket": bucket,
        "access": s3.access_key,
        "secret": s3.secret_key,
        "endpoint": s3.endpoint,
    }
    s3_out = sdk.run(
        dedent("""
        client = connect()
        job = client.jobs.submit_aws_s3("echo", "1.0.0",
            {"one": {"input.txt": {"bucket": P["bucket"], "key": "/in/a.txt"}}},
            P["access"], P["secret"], "us-east-1")
        """)
        + WAIT,
        params=params,
        server=source_server,
    )
    assert s3_out["status"] == "COMPLETED"
    assert s3_out["results"] == {"one": {"text": "from s3"}}
    grid_out = sdk.run(
        dedent("""
        client = connect()
        job = client.jobs.submit_storagegrid("echo", "1.0.0",
            {"input.txt": {"bucket": P["bucket"], "key": "in/b.txt"}},
            P["access"], P["secret"], P["endpoint"])
        """)
        + WAIT,
        params=params,
        server=source_server,
    )
    assert grid_out["status"] == "COMPLETED"
    assert grid_out["results"] == {"job": {"text": "from storagegrid"}}


def test_submit_azureblob(
    sdk: SdkRunner, source_server: ServerProcess, blob_store: Azurite
) -> None:
    container = f"c{uuid.uuid4().hex[:12]}"
    blob_store.service().create_container(container).upload_blob("t.txt", b"from azure")
    out = sdk.run(
        dedent("""
        client = connect()
        job = client.jobs.submit_azureblob("echo", "1.0.0",
            {"blob": {"input.txt": {"container": P["container"], "filePath": "t.txt"}}},
            P["account"], P["key"])
        """)
        + WAIT,
        params={"container": container, "account": blob_store.account, "key": blob_store.key},
        server=source_server,
    )
    assert out["status"] == "COMPLETED"
    assert out["results"] == {"blob": {"text": "from azure"}}


def test_submit_jdbc(
    sdk: SdkRunner, source_server: ServerProcess, pg_source: dict[str, str]
) -> None:
    out = sdk.run(
        dedent("""
        client = connect()
        job = client.jobs.submit_jdbc("ed542963de", "1.0.1", P["url"], P["username"],
            P["password"], P["driver"], 'SELECT body AS "input.txt" FROM reviews ORDER BY id')
        """)
        + WAIT,
        params=pg_source,
        server=source_server,
    )
    assert out["status"] == "COMPLETED" and out["failed"] == 0
    top = {
        name: r["data"]["result"]["classPredictions"][0]["class"]
        for name, r in out["results"].items()
    }
    assert top == {"0": "positive", "1": "negative", "2": "neutral"}
