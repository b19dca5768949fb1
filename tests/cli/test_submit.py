"""`inferjobs submit / results / status / cancel` through real subprocesses and a real server."""

from __future__ import annotations

from pathlib import Path

from tests.cli.helpers import ok_json, run, submit_id
from tests.support.server import ServerProcess

SENTIMENT = ("ed542963de", "1.0.1")


def test_submit_text_wait_completes_and_results_hold_sentiment(
    shared_server: ServerProcess,
) -> None:
    done = run(shared_server, "submit", *SENTIMENT, "--text", "inferjobs is great!", "--wait")
    assert done.returncode == 0, done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert " COMPLETED: 1 items, 1 completed, 0 failed" in summary
    job_id = summary.split()[1]

    found = ok_json(run(shared_server, "results", job_id))
    assert found["finished"] is True
    predictions = found["results"]["item-1"]["results.json"]["data"]["result"]["classPredictions"]
    assert {p["class"] for p in predictions} == {"positive", "neutral", "negative"}
    best = max(predictions, key=lambda p: p["score"])
    assert best["class"] == "positive"


def test_submit_prints_only_the_id_and_results_wait(shared_server: ServerProcess) -> None:
    job_id = submit_id(shared_server, *SENTIMENT, "--item", "bad=what an awful, terrible day")
    found = ok_json(run(shared_server, "results", job_id, "--wait"))
    assert found["jobIdentifier"] == job_id and found["finished"] is True
    predictions = found["results"]["bad"]["results.json"]["data"]["result"]["classPredictions"]
    assert max(predictions, key=lambda p: p["score"])["class"] == "negative"
    status = run(shared_server, "status", job_id)
    assert status.returncode == 0, status.stderr
    assert f"job {job_id} COMPLETED: 1 items, 1 completed, 0 failed" in status.stdout
    assert "Sentiment Analysis (ed542963de 1.0.1)" in status.stdout


def test_dir_of_three_files_is_three_embedded_items(
    shared_server: ServerProcess, tmp_path: Path
) -> None:
    folder = tmp_path / "texts"
    folder.mkdir()
    for name, text in (("b.txt", "bravo"), ("a.txt", "alpha"), ("c.txt", "charlie")):
        (folder / name).write_text(text)
    (folder / "nested").mkdir()  # not a regular file: not an item

    job = ok_json(
        run(shared_server, "submit", "echo", "1.0.0", "--dir", str(folder), "--wait", "--json")
    )
    assert (job["status"], job["total"], job["completed"], job["failed"]) == ("COMPLETED", 3, 3, 0)
    assert [i["identifier"] for i in job["jobInputs"]] == ["a.txt", "b.txt", "c.txt"]
    found = ok_json(run(shared_server, "results", job["jobIdentifier"]))
    echoed = {name: out["results.json"]["text"] for name, out in found["results"].items()}
    assert echoed == {"a.txt": "alpha", "b.txt": "bravo", "c.txt": "charlie"}


def test_a_failing_item_exits_1_and_results_show_it(shared_server: ServerProcess) -> None:
    done = run(
        shared_server,
        "submit",
        "echo",
        "1.0.0",
        "--item",
        "fine=hello",
        "--item",
        "bad=error:boom",
        "--wait",
    )
    assert done.returncode == 1, done.stderr
    summary = done.stdout.strip().splitlines()[-1]
    assert "COMPLETED: 2 items, 1 completed, 1 failed" in summary
    found = ok_json(run(shared_server, "results", summary.split()[1]))
    assert found["failures"]["bad"]["error"] == "boom"
    assert found["results"]["fine"]["results.json"] == {"text": "hello"}


def test_cancel_a_sleep_job(server: ServerProcess) -> None:
    # long enough never to end on its own; cancel interrupts the running items
    job_id = submit_id(server, "sleep", "1.0.0", "--text", "30000", "--text", "30000")
    canceled = run(server, "cancel", job_id)
    assert canceled.returncode == 0, canceled.stderr
    assert canceled.stdout.strip() == f"job {job_id} CANCELED"
    job = ok_json(run(server, "status", job_id, "--json"))
    assert job["status"] == "CANCELED"
    assert job["completed"] == 0 and job["canceled"] == 2
