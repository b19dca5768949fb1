"""`inferjobs models ...` and `inferjobs history` through real subprocesses."""

from __future__ import annotations

import httpx

from tests.cli.helpers import ok_json, run
from tests.support.server import ServerProcess


def open_job(server: ServerProcess, model: str, version: str) -> str:
    """An OPEN job (no input yet): it stays pending, whatever the worker does."""
    body = {"model": {"identifier": model, "version": version}, "explain": False}
    response = httpx.post(f"{server.api}/jobs", json=body, headers=server.headers(), timeout=10)
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "OPEN"
    return str(response.json()["jobIdentifier"])


def history_ids(server: ServerProcess, *filters: str) -> set[str]:
    return {job["jobIdentifier"] for job in ok_json(run(server, "history", *filters, "--json"))}


def test_history_filters_return_the_right_rows(server: ServerProcess) -> None:
    echo = ok_json(run(server, "submit", "echo", "1.0.0", "--text", "hi", "--wait", "--json"))
    echo_id = echo["jobIdentifier"]
    pending_id = open_job(server, "sleep", "1.0.0")
    canceled_id = open_job(server, "ed542963de", "1.0.1")
    assert run(server, "cancel", canceled_id).returncode == 0

    assert history_ids(server, "--status", "terminated") == {echo_id, canceled_id}
    assert history_ids(server, "--status", "pending") == {pending_id}
    assert history_ids(server, "--model", "Sleep") == {pending_id}

    table = run(server, "history", "--model", "echo", "--status", "terminated")
    assert table.returncode == 0, table.stderr
    assert echo_id in table.stdout and "COMPLETED" in table.stdout and "1/1/0" in table.stdout
    assert pending_id not in table.stdout and canceled_id not in table.stdout

    newest = run(
        server,
        "history",
        "--sort-by",
        "createdAt",
        "--direction",
        "DESC",
        "--per-page",
        "1",
        "--json",
    )
    assert [job["jobIdentifier"] for job in ok_json(newest)] == [canceled_id]
    assert "more jobs on page 2" in newest.stderr


def test_history_bad_filter_prints_the_server_message(shared_server: ServerProcess) -> None:
    result = run(shared_server, "history", "--end-date", "2024-01-01")
    assert result.returncode == 1
    assert result.stderr == "error: endDate: give startDate too when filtering by endDate\n"


def test_models_list_and_show(shared_server: ServerProcess) -> None:
    listed = run(shared_server, "models", "list")
    assert listed.returncode == 0, listed.stderr
    row = next(line for line in listed.stdout.splitlines() if "ed542963de" in line)
    assert "Sentiment Analysis" in row and "1.0.1" in row

    shown = run(shared_server, "models", "show", "ed542963de")
    assert shown.returncode == 0, shown.stderr
    expected = (
        "Sentiment Analysis (ed542963de 1.0.1)",
        "input.txt",
        "text/plain",
        "results.json",
        "application/json",
        "can explain: yes",
        "run 30000 ms",
    )
    for text in expected:
        assert text in shown.stdout

    missing = run(shared_server, "models", "show", "echo", "--version", "9.9")
    assert missing.returncode == 1
    assert missing.stderr == "error: model echo has no version 9.9; versions: 1.0.0\n"
