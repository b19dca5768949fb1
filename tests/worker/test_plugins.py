"""A third-party package adds models through the entry-point group, without touching ours."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import Api, serve_api
from tests.support.plugins import plugin_env
from tests.support.server import start_server


@pytest.fixture
def plugin_api(tmp_path: Path) -> Iterator[Api]:
    yield from serve_api(start_server(tmp_path / "srv", extra_env=plugin_env()))


def test_plugin_models_are_registered_and_run(plugin_api: Api) -> None:
    ids = {m["modelId"] for m in plugin_api.get("/models").json()}
    assert {"pair", "broken-load", "ed542963de"} <= ids
    inputs = plugin_api.get("/models/pair/versions/0.1.0").json()["inputs"]
    assert [i["name"] for i in inputs] == ["left.txt", "right.txt"]
    response = plugin_api.submit("pair", "0.1.0", {"x": {"left.txt": "a", "right.txt": "b"}})
    job = plugin_api.wait(response.json()["jobIdentifier"])
    assert job["status"] == "COMPLETED"
    results = plugin_api.get(f"/results/{job['jobIdentifier']}").json()["results"]
    assert results["x"]["results.json"] == {"joined": "a+b"}


def test_a_missing_required_input_is_named(plugin_api: Api) -> None:
    response = plugin_api.submit("pair", "0.1.0", {"half": {"left.txt": "a"}})
    assert response.status_code == 400
    message = response.json()["message"]
    assert "half" in message and "right.txt" in message


def test_a_model_that_cannot_load_ends_the_job_as_error(plugin_api: Api) -> None:
    job_id = plugin_api.submit_texts("broken-load", "0.1.0", {"a": "x", "b": "y"})
    job = plugin_api.wait(job_id)
    assert job["status"] == "ERROR"
    assert "weights file missing" in job["error"]
    results = plugin_api.get(f"/results/{job_id}").json()
    assert results["finished"] is True
    assert "weights file missing" in results["failures"]["a"]["error"]
    assert (
        plugin_api.get("/jobs/history", params={"status": "ERROR"}).json()[0]["jobIdentifier"]
        == job_id
    )
