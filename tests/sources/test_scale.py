"""Big sources stream: a worker's peak memory does not grow with the number of items.

The default run uses 1,000 vs 4,000 items; `-m slow` runs the sizes of the issue (a folder of
20,000 objects, a query of 100,000 rows) and prints the peak memory it measured.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psycopg
import pytest

from tests.api.conftest import Api
from tests.support.s3server import S3Server
from tests.support.server import start_server

SMALL, LARGE = 1_000, 4_000


def peak_rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmHWM")


class Fleet:
    """An API-only server and one separate worker process, to measure the worker alone."""

    def __init__(self, tmp: Path) -> None:
        env = {
            "INFERJOBS_SOURCES__ALLOWED_HOSTS": "127.0.0.1",
            "INFERJOBS_SOURCES__PAGE_SIZE": "500",
            "INFERJOBS_WORKER__BATCH_SIZE": "256",
        }
        self.server = start_server(tmp / "api", args=("--no-worker",), extra_env=env)
        self.api = Api(self.server)
        self.worker: subprocess.Popen[bytes] | None = None

    def fresh_worker(self) -> int:
        self.stop_worker()
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "inferjobs", "worker"],
            env=self.server.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self.worker.pid

    def stop_worker(self) -> None:
        if self.worker is not None:
            self.worker.terminate()
            self.worker.wait(30)

    def run(self, payload: dict[str, Any], count: int) -> float:
        """Run a job on a fresh worker; the worker's peak RSS in MiB."""
        pid = self.fresh_worker()
        response = self.api.post(
            "/jobs", json={"model": {"identifier": "echo", "version": "1.0.0"}, "input": payload}
        )
        assert response.status_code == 200, response.text
        job = self.api.wait(response.json()["jobIdentifier"], timeout=900)
        assert (job["status"], job["total"], job["completed"]) == ("COMPLETED", count, count)
        return peak_rss_mib(pid)

    def close(self) -> None:
        self.stop_worker()
        self.api.close()
        self.server.stop()


@pytest.fixture
def fleet(tmp_path: Path) -> Iterator[Fleet]:
    group = Fleet(tmp_path)
    try:
        yield group
    finally:
        group.close()


def _folder(s3: S3Server, bucket: str, prefix: str, count: int) -> dict[str, Any]:
    client = s3.client()
    with ThreadPoolExecutor(16) as pool:
        list(
            pool.map(
                lambda n: client.put_object(
                    Bucket=bucket, Key=f"{prefix}/o{n:06d}.txt", Body=f"object {n}".encode()
                ),
                range(count),
            )
        )
    return {
        "type": "aws-s3-folder",
        "accessKeyID": s3.access_key,
        "secretAccessKey": s3.secret_key,
        "region": "us-east-1",
        "endpoint": s3.endpoint,
        "sources": {"f": {"input.txt": {"bucket": bucket, "key": f"{prefix}/"}}},
    }


def _rows(pg: dict[str, str], table: str, count: int) -> dict[str, Any]:
    url = pg["url"].replace("jdbc:postgresql://", "postgresql://postgres@")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            f"CREATE TABLE {table} AS SELECT n, 'row ' || n AS body "
            f"FROM generate_series(1, {count}) AS n"
        )
        conn.execute(f"GRANT SELECT ON {table} TO reader")
    return {"type": "jdbc", **pg, "query": f'SELECT body AS "input.txt" FROM {table} ORDER BY n'}


def _flat(small: float, large: float) -> None:
    print(f"worker peak RSS: {small:.0f} MiB at the small size, {large:.0f} MiB at the large")
    assert large <= small * 1.2 + 10, (small, large)


def test_a_folder_streams(fleet: Fleet, s3: S3Server, bucket: str) -> None:
    small = fleet.run(_folder(s3, bucket, "small", SMALL), SMALL)
    large = fleet.run(_folder(s3, bucket, "large", LARGE), LARGE)
    _flat(small, large)


def test_a_query_streams(fleet: Fleet, pg_source: dict[str, str]) -> None:
    small = fleet.run(_rows(pg_source, "rows_small", SMALL), SMALL)
    large = fleet.run(_rows(pg_source, "rows_large", LARGE * 2), LARGE * 2)
    _flat(small, large)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_issue_sizes(fleet: Fleet, s3: S3Server, bucket: str, pg_source: dict[str, str]) -> None:
    started = time.monotonic()
    folder = fleet.run(_folder(s3, bucket, "big", 20_000), 20_000)
    print(
        f"20,000-object folder: worker peak RSS {folder:.0f} MiB "
        f"({time.monotonic() - started:.0f} s with the upload)"
    )
    started = time.monotonic()
    rows = fleet.run(_rows(pg_source, "rows_100k", 100_000), 100_000)
    print(f"100,000-row query: worker peak RSS {rows:.0f} MiB ({time.monotonic() - started:.0f} s)")
    small = fleet.run(_rows(pg_source, "rows_1k", 1_000), 1_000)
    _flat(small, max(folder, rows))
