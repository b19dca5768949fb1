"""Real source servers (SeaweedFS S3, PostgreSQL, MariaDB, SQLite files) and an inferjobs
server allowed to reach 127.0.0.1 (refused by default)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import Api
from tests.support.s3server import S3Server, seaweedfs
from tests.support.server import start_server


@pytest.fixture(scope="session")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    with seaweedfs(tmp_path_factory.mktemp("seaweedfs")) as server:
        yield server


@pytest.fixture(scope="session")
def sqlite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sqlite-sources")


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, sqlite_dir: Path) -> Iterator[Api]:
    env = {"INFERJOBS_SOURCES__ALLOWED_HOSTS": "127.0.0.1,localhost",
           "INFERJOBS_SOURCES__SQLITE_DIR": str(sqlite_dir),
           "INFERJOBS_SOURCES__PAGE_SIZE": "100"}
    proc = start_server(tmp_path_factory.mktemp("src-api"), extra_env=env)
    client = Api(proc)
    try:
        yield client
    finally:
        client.close()
        proc.stop()


@pytest.fixture
def bucket(s3: S3Server) -> str:
    name = f"bucket-{uuid.uuid4().hex[:10]}"
    s3.client().create_bucket(Bucket=name)
    return name
