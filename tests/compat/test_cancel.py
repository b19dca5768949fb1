"""Canceling jobs: `jobs.cancel(job)`, `job.cancel()`, and an OPEN job (submit_file's clean-up)."""

from __future__ import annotations

from tests.compat.runner import SdkRunner


def test_cancel_running_jobs(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        from modzy.error import ResultsError
        client = connect()
        sources = {f"nap-{n}": {"input.txt": "2000"} for n in range(4)}
        first = client.jobs.submit_text("sleep", "1.0.0", sources)
        second = client.jobs.submit_text("sleep", "1.0.0", sources)
        by_client = client.jobs.cancel(first)
        returned = second.cancel()
        report = {}
        for name, job, canceled in (
            ("client", first, by_client), ("job", second, returned)
        ):
            job.block_until_complete(timeout=10, poll_interval=0.2)  # returns at once
            result = client.results.block_until_complete(job, timeout=10, poll_interval=0.2)
            errors = [capture(result.get_source_outputs, s) for s in sources]
            report[name] = {
                "canceled": canceled.status,
                "same_object": canceled is job,
                "status": job.status,
                "fetched": client.jobs.get(job).status,
                "finished": result.finished,
                "counts": [result.total, result.completed],
                "results": dict(result.results),
                "errors": errors,
                "all_results_errors": all(
                    e["type"] == ResultsError.__name__ for e in errors
                ),
            }
        emit(report)
        """
    )
    for name in ("client", "job"):
        report = out[name]
        assert report["canceled"] == "CANCELED", name
        assert report["status"] == "CANCELED", name
        assert report["fetched"] == "CANCELED", name
        assert report["finished"] is True, name
        assert report["counts"] == [4, 0], name
        assert report["results"] == {}, name
        assert report["all_results_errors"], report["errors"]
        assert all("cancel" in e["message"].lower() for e in report["errors"]), report["errors"]
    assert out["job"]["same_object"] is True  # Job.cancel() updates the Job in place


def test_cancel_open_job(sdk: SdkRunner) -> None:
    """submit_file cancels its OPEN job when an upload fails; that must end the job."""
    out = sdk.run(
        """
        client = connect()
        opened = client.http.post(
            "/jobs", {"model": {"identifier": "echo", "version": "1.0.0"}, "explain": False}
        )
        status_open = client.jobs.get(opened["jobIdentifier"]).status
        canceled = client.jobs.cancel(opened["jobIdentifier"])
        result = client.results.block_until_complete(
            opened["jobIdentifier"], timeout=10, poll_interval=0.2
        )
        emit({
            "opened": opened.get("status"),
            "status_open": status_open,
            "canceled": canceled.status,
            "finished": result.finished,
        })
        """
    )
    assert out["opened"] == "OPEN"
    assert out["status_open"] == "OPEN"
    assert out["canceled"] == "CANCELED"
    assert out["finished"] is True


def test_timed_out_job_finishes(sdk: SdkRunner) -> None:
    """A job-level `timeout` (sent by the Go SDK; the Python SDK posts it through http.post)
    ends the job as TIMEDOUT, and results must then report finished."""
    out = sdk.run(
        """
        from modzy.jobs import Job
        client = connect()
        body = {
            "model": {"identifier": "sleep", "version": "1.0.0"},
            "explain": False,
            "timeout": 300,
            "input": {
                "type": "text",
                "sources": {f"nap-{n}": {"input.txt": "1000"} for n in range(6)},
            },
        }
        job = Job(client.http.post("/jobs", body), client)
        job.block_until_complete(timeout=30, poll_interval=0.2)
        result = client.results.block_until_complete(job, timeout=30, poll_interval=0.2)
        timedout = [j.job_identifier for j in client.jobs.get_history(
            status="timedout", per_page=1000)]
        outcomes = [capture(result.get_source_outputs, f"nap-{n}") for n in range(6)]
        emit({
            "status": job.status,
            "in_timedout_history": job.job_identifier in timedout,
            "finished": result.finished,
            "counts": [result.total, result.completed],
            "errors": [o for o in outcomes if o["raised"]],
        })
        """
    )
    assert out["status"] == "TIMEDOUT"
    assert out["in_timedout_history"] is True
    assert out["finished"] is True
    total, completed = out["counts"]
    # workers sweep for timed-out jobs between batches: each of the server's two workers may
    # finish the one 1 s item it holds before the job is ended
    assert total == 6
    assert completed <= 2
    assert len(out["errors"]) == total - completed
    assert all(e["type"] == "ResultsError" for e in out["errors"]), out["errors"]
    assert all("timed out" in e["message"] for e in out["errors"]), out["errors"]
