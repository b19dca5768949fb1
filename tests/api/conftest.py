"""A real server process per database, shared by the API tests of a module."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.conftest import _require_postgres
from tests.support.databases import fresh_postgres
from tests.support.server import ServerProcess, start_server

TERMINAL = {"COMPLETED", "CANCELED", "TIMEDOUT", "ERROR"}
BODY_LIMIT = 4 * 1024 * 1024


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    data_dir = tmp_path_factory.mktemp("api")
    env = {"INFERJOBS_API__MAX_BODY_BYTES": str(BODY_LIMIT)}
    if request.param == "sqlite":
        proc = start_server(data_dir, extra_env=env)
        yield from serve_api(proc)
        return
    _require_postgres()
    with fresh_postgres() as url:
        yield from serve_api(start_server(data_dir, database_url=url, extra_env=env))


def serve_api(proc: ServerProcess) -> Iterator[Api]:
    """Yield an Api client of `proc`; close both afterwards (for fixtures)."""
    client = Api(proc)
    try:
        yield client
    finally:
        client.close()
        proc.stop()


class Api:
    """A thin test client bound to one server and one key."""

    def __init__(
        self,
        server: ServerProcess,
        key: str | None = None,
        opened: list[httpx.Client] | None = None,
    ) -> None:
        self.server = server
        self.key = key if key is not None else server.key
        self.http = httpx.Client(
            base_url=server.api, timeout=30, headers={"Authorization": f"ApiKey {self.key}"}
        )
        self.opened = opened if opened is not None else []
        self.opened.append(self.http)

    def as_key(self, key: str) -> Api:
        return Api(self.server, key, self.opened)

    def close(self) -> None:
        for client in self.opened:
            client.close()

    def new_key(self, name: str, *flags: str) -> str:
        return self.server.cli("keys", "create", "--name", name, *flags).stdout.strip()

    def get(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.get(path, **kw)

    def post(self, path: str, **kw: Any) -> httpx.Response:
        return self.http.post(path, **kw)

    def delete(self, path: str) -> httpx.Response:
        return self.http.delete(path)

    def submit(
        self, model: str, version: str, sources: dict[str, Any], *, kind: str = "text", **extra: Any
    ) -> httpx.Response:
        body = {
            "model": {"identifier": model, "version": version},
            "explain": False,
            "input": {"type": kind, "sources": sources},
            **extra,
        }
        return self.post("/jobs", json=body)

    def submit_texts(self, model: str, version: str, texts: dict[str, str], **extra: Any) -> str:
        response = self.submit(
            model, version, {k: {"input.txt": v} for k, v in texts.items()}, **extra
        )
        assert response.status_code == 200, response.text
        return str(response.json()["jobIdentifier"])

    def wait(self, job_id: str, timeout: float = 30) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.get(f"/jobs/{job_id}").json()
            if job["status"] in TERMINAL:
                return dict(job)
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} did not finish: {job}")
