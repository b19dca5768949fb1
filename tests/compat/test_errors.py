"""Each error class of `modzy.error` that the server can cause, through the SDK."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.compat.runner import SdkRunner
from tests.support.server import ServerProcess, start_server

SMALL_BODY_LIMIT = 2048


def _is(caught: dict[str, Any], error: str, status: int) -> None:
    assert caught["raised"], f"expected {error}, got a return value: {caught}"
    assert (caught["type"], caught["module"], caught["status"]) == (error, "modzy.error", status), (
        caught
    )


def test_400_bad_request(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        from modzy.error import BadRequestError, ClientError
        client = connect()
        emit({
            "input_name": capture(
                client.jobs.submit_text, "echo", "1.0.0", {"a": {"wrong.txt": "hi"}}
            ),
            "explain": capture(
                client.jobs.submit_text, "echo", "1.0.0", {"a": {"input.txt": "hi"}},
                explain=True,
            ),
            "sort": capture(client.jobs.get_history, sort_by="noSuchColumn"),
            # the SDK labels all bytes application/octet-stream; a PNG is still not text
            "media_type": capture(
                client.jobs.submit_embedded, "echo", "1.0.0",
                {"a": {"input.txt": bytes.fromhex("89504e470d0a1a0a0000000d49484452")}},
            ),
            "hierarchy": issubclass(BadRequestError, ClientError),
        })
        """
    )
    _is(out["input_name"], "BadRequestError", 400)
    assert "wrong.txt" in out["input_name"]["message"]
    assert "input.txt" in out["input_name"]["message"]  # names the inputs the model has
    _is(out["explain"], "BadRequestError", 400)
    _is(out["sort"], "BadRequestError", 400)
    _is(out["media_type"], "BadRequestError", 400)
    assert "text/plain" in out["media_type"]["message"]
    assert out["hierarchy"] is True


def test_401_key_revoked_after_constructing_the_client(sdk: SdkRunner) -> None:
    key = sdk.new_key("soon-revoked")
    prefix = key.split(".")[0]
    revoked: list[str] = []

    def revoke(name: str, _data: Any) -> str:
        assert name == "revoke"
        revoked.append(sdk.server.cli("keys", "revoke", prefix).stdout)
        return "done"

    out = sdk.run(
        """
        client = connect()
        before = [j.job_identifier for j in client.jobs.get_history()]
        checkpoint("revoke")
        emit({
            "before": before,
            "history": capture(client.jobs.get_history),
            "submit": capture(
                client.jobs.submit_text, "echo", "1.0.0", {"a": {"input.txt": "hi"}}
            ),
            "models": capture(client.models.get_all),
            "job": capture(client.jobs.get, "00000000-0000-0000-0000-000000000000"),
            "new_client": capture(connect),
        })
        """,
        key=key,
        on_checkpoint=revoke,
    )
    assert revoked, "the script never reached its checkpoint"
    assert out["before"] == []
    for name in ("history", "submit", "models", "job"):
        _is(out[name], "UnauthorizedError", 401)
    assert "revoked" in out["history"]["message"]
    # a new client with that key fails at construction, as any bad key does
    assert out["new_client"]["type"] == "ValueError"


def test_404_not_found(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        client = connect()
        unknown = "00000000-0000-4000-8000-000000000000"
        emit({
            "job": capture(client.jobs.get, unknown),
            "not_a_uuid": capture(client.jobs.get, "not-a-job"),
            "cancel": capture(client.jobs.cancel, unknown),
            "result": capture(client.results.get, unknown),
            "wait": capture(
                client.results.block_until_complete, unknown, timeout=5, poll_interval=0.2
            ),
            "model": capture(client.models.get, "no-such-model"),
            "version": capture(client.models.get_version, "ed542963de", "9.9.9"),
            "versions": capture(client.models.get_versions, "no-such-model"),
            "sample": capture(client.models.get_version_input_sample, "ed542963de", "9.9.9"),
        })
        """
    )
    for name, caught in out.items():
        _is(caught, "NotFoundError", 404)
        assert caught["message"] and not caught["message"].startswith("HTTP Error"), name
    assert "00000000-0000-4000-8000-000000000000" in out["job"]["message"]


def test_405_method_not_allowed(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        client = connect()
        job = client.jobs.submit_text("echo", "1.0.0", {"a": {"input.txt": "hi"}})
        emit({
            # models.deploy starts with POST /models, which this server does not offer
            "deploy": capture(
                client.models.deploy, container_image="registry.example/m:1",
                model_name="Not Deployable", model_version="0.0.1",
            ),
            "deploy_version": capture(
                client.models.deploy, container_image="registry.example/m:1",
                model_name="Not Deployable", model_version="0.0.2", model_id="echo",
            ),
            "put_sample": capture(
                client.http.put, "/models/echo/versions/1.0.0/sample-input", {"a": 1}
            ),
            "put_job": capture(client.http.request, "PUT", f"/jobs/{job.job_identifier}"),
        })
        """
    )
    for caught in out.values():
        _is(caught, "MethodNotAllowedError", 405)


def test_409_conflict(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        client = connect()
        job = client.jobs.submit_text("echo", "1.0.0", {"a": {"input.txt": "hi"}})
        job.block_until_complete(timeout=60, poll_interval=0.2)
        route = f"/jobs/{job.job_identifier}"
        emit({
            "status": job.status,
            "late_chunk": capture(
                client.http.post, f"{route}/late/input.txt",
                file_data={"input": ("input", b"too late")},
            ),
            "close_again": capture(client.http.post, f"{route}/close"),
            "unchanged": client.jobs.get(job).total,
        })
        """
    )
    assert out["status"] == "COMPLETED"
    _is(out["late_chunk"], "ConflictError", 409)
    _is(out["close_again"], "ConflictError", 409)
    assert out["unchanged"] == 1


def test_413_input_over_model_maximum(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        client = connect()
        limit = client.models.get_version("ed542963de", "1.0.1").inputs[0].maximumSize
        emit({
            "limit": limit,
            "too_big": capture(
                client.jobs.submit_text, "ed542963de", "1.0.1",
                {"a": {"input.txt": "x" * (limit + 1)}},
            ),
        })
        """
    )
    _is(out["too_big"], "RequestEntityTooLargeError", 413)
    assert str(out["limit"]) in out["too_big"]["message"]


@pytest.fixture(scope="module")
def small_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(
        tmp_path_factory.mktemp("compat-small-server"),
        extra_env={"INFERJOBS_API__MAX_BODY_BYTES": str(SMALL_BODY_LIMIT)},
        args=("--workers", "1"),
    )
    yield server
    server.stop()


def test_413_request_body_over_server_limit(sdk: SdkRunner, small_server: ServerProcess) -> None:
    out = sdk.run(
        """
        import io
        client = connect()
        fits = client.jobs.submit_text("echo", "1.0.0", {"a": {"input.txt": "small"}})
        result = client.results.block_until_complete(fits, timeout=60, poll_interval=0.2)
        emit({
            "fits": result.get_source_outputs("a")["results.json"],
            "text": capture(
                client.jobs.submit_text, "echo", "1.0.0",
                {"a": {"input.txt": "y" * (2 * P["limit"])}},
            ),
            "embedded": capture(
                client.jobs.submit_embedded, "echo", "1.0.0",
                {"a": {"input.txt": b"z" * (2 * P["limit"])}},
            ),
            "file": capture(
                client.jobs.submit_file, "echo", "1.0.0",
                {"f": {"input.txt": io.BytesIO(b"w" * (2 * P["limit"]))}},
            ),
            # submit_file cancels the job it opened when an upload fails
            "after_file": [(j.status, j.total) for j in client.jobs.get_history(
                model="Echo", sort_by="createdAt", direction="desc", page=1, per_page=1)],
        })
        """,
        server=small_server,
        params={"limit": SMALL_BODY_LIMIT},
    )
    assert out["fits"] == {"text": "small"}
    for name in ("text", "embedded", "file"):
        _is(out[name], "RequestEntityTooLargeError", 413)
        assert str(SMALL_BODY_LIMIT) in out[name]["message"], out[name]
    assert out["after_file"] == [["CANCELED", 0]]
