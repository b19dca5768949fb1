"""A job's life over HTTP: fields with true values, results, cancel, raw outputs."""

from __future__ import annotations

import re

from tests.api.conftest import Api

STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


def test_job_object_carries_true_values(api: Api) -> None:
    texts = {"good": "I love this!", "bad": "This is terrible and awful."}
    response = api.submit(
        "ed542963de",
        "1.0.1",
        {k: {"input.txt": v} for k, v in texts.items()},
        explain=True,
        timeout=120_000,
    )
    submitted = response.json()
    assert submitted["status"] in ("SUBMITTED", "IN_PROGRESS", "COMPLETED")
    assert submitted["totalInputs"] == 2
    assert submitted["jobInputs"] == {"identifier": ["good", "bad"]}
    job = api.wait(submitted["jobIdentifier"])
    prefix = api.key.split(".")[0]
    assert job["status"] == "COMPLETED"
    assert (job["total"], job["pending"], job["completed"], job["failed"]) == (2, 0, 2, 0)
    assert job["submittedBy"] == prefix
    assert job["user"]["accessKeys"] == [{"prefix": prefix, "isDefault": True}]
    assert job["accountIdentifier"] == "default"
    assert job["model"] == {
        "identifier": "ed542963de",
        "version": "1.0.1",
        "name": "Sentiment Analysis",
    }
    assert job["explain"] is True and job["timeout"] == 120_000
    assert job["inputByteAmount"] == sum(len(t.encode()) for t in texts.values())
    assert job["jobInputs"] == [{"identifier": "good"}, {"identifier": "bad"}]
    for field in ("createdAt", "updatedAt", "submittedAt"):
        assert STAMP.match(job[field]), job[field]
    assert 0 <= job["queueTime"] <= job["elapsedTime"] < 30_000


def test_results_keyed_by_item_name_with_failures(api: Api) -> None:
    job_id = api.submit_texts("echo", "1.0.0", {"ok": "fine", "broken": "error:boom"})
    api.wait(job_id)
    body = api.get(f"/results/{job_id}").json()
    assert body["finished"] is True
    assert (body["total"], body["completed"], body["failed"]) == (2, 1, 1)
    assert body["results"]["ok"]["status"] == "SUCCESSFUL"
    assert body["results"]["ok"]["results.json"] == {"text": "fine"}
    assert body["failures"]["broken"]["status"] == "FAILED"
    assert body["failures"]["broken"]["error"] == "boom"
    raw = api.get(f"/results/{job_id}/datasource/ok/output/results.json")
    assert raw.status_code == 200 and raw.json() == {"text": "fine"}
    assert api.get(f"/results/{job_id}/ok/results.json").json() == {"text": "fine"}
    assert api.get(f"/results/{job_id}/broken/results.json").status_code == 404


def test_sentiment_scores_and_explanation(api: Api) -> None:
    job_id = api.submit_texts(
        "ed542963de",
        "1.0.1",
        {"p": "What a wonderful, happy day!", "n": "I hate this horrible mess."},
        explain=True,
    )
    api.wait(job_id)
    results = api.get(f"/results/{job_id}").json()["results"]
    positive = results["p"]["results.json"]["data"]
    assert positive["result"]["classPredictions"][0]["class"] == "positive"
    assert results["n"]["results.json"]["data"]["result"]["classPredictions"][0]["class"] == (
        "negative"
    )
    words = {w["word"]: w["contribution"] for w in positive["explanation"]["wordContributions"]}
    assert words["wonderful"] > 0 and words["day"] == 0


def test_cancel_stops_pending_items_and_results_finish(api: Api) -> None:
    job_id = api.submit_texts("sleep", "1.0.0", {f"s{n}": "400" for n in range(8)})
    canceled = api.delete(f"/jobs/{job_id}")
    assert canceled.status_code == 200
    job = canceled.json()
    assert job["status"] == "CANCELED"
    assert job["pending"] == 0 and job["completed"] + job["canceled"] == 8
    results = api.get(f"/results/{job_id}").json()
    assert results["finished"] is True
    assert all(
        (f["status"], f["reason"]) == ("FAILED", "CANCELED") for f in results["failures"].values()
    )
    again = api.delete(f"/jobs/{job_id}").json()
    assert again["status"] == "CANCELED"
    assert api.get(f"/jobs/{job_id}").json()["completed"] <= 1


def test_timeout_ends_the_job_as_timedout(api: Api) -> None:
    job_id = api.submit_texts("sleep", "1.0.0", {f"s{n}": "300" for n in range(10)}, timeout=500)
    job = api.wait(job_id, timeout=20)
    assert job["status"] == "TIMEDOUT"
    assert job["completed"] < 10
    assert api.get(f"/results/{job_id}").json()["finished"] is True


def test_unknown_and_malformed_job_ids_are_404(api: Api) -> None:
    assert api.get("/jobs/00000000-0000-0000-0000-000000000000").status_code == 404
    assert api.get("/jobs/not-a-uuid").status_code == 404
    assert api.get("/results/not-a-uuid").status_code == 404
    assert api.delete("/jobs/not-a-uuid").status_code == 404


def test_features_advertise_the_chunk_size(api: Api) -> None:
    features = api.get("/jobs/features").json()
    assert features["inputChunkMaximumSize"] == "1024Ki"
    assert features["input_chunk_maximum_size"] == "1024Ki"
    assert features["maximumInputsPerJob"] >= 1
