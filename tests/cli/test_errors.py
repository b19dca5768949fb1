"""Errors of the HTTP commands: clear one-line messages, exit codes, no tracebacks."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.cli.helpers import clean_env, env_without_key, run, run_env
from tests.support.server import ServerProcess, free_port


def test_bad_key_is_a_clear_error(shared_server: ServerProcess) -> None:
    result = shared_server.cli(
        "models", "list", "--url", shared_server.url, "--api-key", "nope.bad", check=False
    )
    assert result.returncode == 1
    assert result.stderr.startswith("error: invalid or revoked API key")
    assert "--api-key" in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_unknown_model_prints_the_server_400_message(shared_server: ServerProcess) -> None:
    body = {
        "model": {"identifier": "nope", "version": "1.0"},
        "explain": False,
        "input": {"type": "text", "sources": {"item-1": {"input.txt": "hi"}}},
    }
    answer = httpx.post(
        f"{shared_server.api}/jobs", json=body, headers=shared_server.headers(), timeout=10
    )
    assert answer.status_code == 400

    result = run(shared_server, "submit", "nope", "1.0", "--text", "hi", "--input", "input.txt")
    assert result.returncode == 1
    assert result.stderr == f"error: {answer.json()['message']}\n"

    # without --input the CLI first asks for the version's inputs: the server's 404
    looked_up = run(shared_server, "submit", "nope", "1.0", "--text", "hi")
    assert (looked_up.returncode, looked_up.stderr) == (1, "error: model nope not found\n")


def test_key_file_is_used_when_no_key_is_given(shared_server: ServerProcess) -> None:
    result = run_env(
        env_without_key(shared_server), "models", "list", "--url", shared_server.url + "/api/"
    )
    assert result.returncode == 0, result.stderr
    assert "ed542963de" in result.stdout


def test_no_key_at_all_exits_2(shared_server: ServerProcess, tmp_path: Path) -> None:
    env = env_without_key(shared_server, INFERJOBS_DATA_DIR=str(tmp_path / "empty"))
    result = run_env(env, "status", "some-job", "--url", shared_server.url)
    assert result.returncode == 2
    assert result.stderr.startswith("error: no API key: pass --api-key or set INFERJOBS_API_KEY")
    assert str(tmp_path / "empty" / "default-api-key") in result.stderr


def test_unreachable_server_is_a_clear_error(tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    env = clean_env(INFERJOBS_DATA_DIR=str(tmp_path))
    result = run_env(env, "history", "--url", url, "--api-key", "k.s")
    assert result.returncode == 1
    assert result.stderr == f"error: cannot reach {url}/api: connection refused\n"


def test_bad_submit_arguments_exit_2_before_any_request(tmp_path: Path) -> None:
    env = clean_env(INFERJOBS_DATA_DIR=str(tmp_path))
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens: a request would exit 1
    nothing = run_env(env, "submit", "echo", "1.0.0", "--url", url, "--api-key", "k.s")
    assert (nothing.returncode, nothing.stderr) == (
        2,
        "error: nothing to submit: give --text, --item, --file or --dir\n",
    )
    twice = run_env(
        env,
        "submit",
        "echo",
        "1.0.0",
        "--text",
        "a",
        "--item",
        "item-1=b",
        "--url",
        url,
        "--api-key",
        "k.s",
    )
    assert twice.returncode == 2
    assert "two items are named 'item-1'" in twice.stderr
