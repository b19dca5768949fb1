"""Submitting jobs with every inline source type the SDK has, and reading their results."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat.runner import SdkRunner
from tests.support.server import ServerProcess, start_server


def test_submit_text_sentiment_end_to_end(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        client = connect()
        job = client.jobs.submit_text(
            "ed542963de", "1.0.1", {"my-input": {"input.txt": "Modzy is great!"}}
        )
        submitted = dict(job)
        job.block_until_complete(timeout=60, poll_interval=0.5)
        result = client.results.block_until_complete(job, timeout=60, poll_interval=0.5)
        emit({
            "submitted": submitted,
            "status": job.status,
            "job": dict(client.jobs.get(job.job_identifier)),
            "finished": result.finished,
            "counts": [result.total, result.completed, result.failed],
            "result_job": result.job_identifier,
            "outputs": result.get_source_outputs("my-input"),
            "first": result.get_first_outputs(),
            "via_job": dict(job.get_result()),
        })
        """
    )
    job_id = out["submitted"]["jobIdentifier"]
    assert out["submitted"]["status"] in ("SUBMITTED", "IN_PROGRESS", "COMPLETED")
    assert out["status"] == "COMPLETED"
    assert out["finished"] is True
    assert out["counts"] == [1, 1, 0]
    assert out["result_job"] == job_id
    job = out["job"]
    assert job["jobIdentifier"] == job_id
    assert job["status"] == "COMPLETED"
    assert job["model"] == {
        "identifier": "ed542963de",
        "version": "1.0.1",
        "name": "Sentiment Analysis",
    }
    assert job["submittedBy"] == sdk.server.key.split(".")[0]
    assert job["explain"] is False
    predictions = out["outputs"]["results.json"]["data"]["result"]["classPredictions"]
    assert predictions[0]["class"] == "positive"
    assert {p["class"] for p in predictions} == {"positive", "neutral", "negative"}
    assert predictions[0]["score"] > 0.5
    assert predictions[0]["score"] == max(p["score"] for p in predictions)
    assert "explanation" not in out["outputs"]["results.json"]["data"]
    assert out["outputs"]["status"] == "SUCCESSFUL"
    assert out["first"] == out["outputs"]
    assert out["via_job"]["results"]["my-input"]["results.json"] == out["outputs"]["results.json"]


def test_submit_text_with_explain(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        client = connect()
        job = client.jobs.submit_text(
            "ed542963de", "1.0.1", {"why": {"input.txt": "What a wonderful, great day"}},
            explain=True,
        )
        result = client.results.block_until_complete(job, timeout=60, poll_interval=0.2)
        emit({
            "job": dict(client.jobs.get(job)),
            "explained": result.get("explained"),
            "outputs": result.get_source_outputs("why"),
        })
        """
    )
    assert out["job"]["explain"] is True
    assert out["job"]["status"] == "COMPLETED"
    assert out["explained"] is True
    data = out["outputs"]["results.json"]["data"]
    assert data["result"]["classPredictions"][0]["class"] == "positive"
    words = {w["word"]: w["contribution"] for w in data["explanation"]["wordContributions"]}
    assert words["great"] > 0
    assert words["wonderful"] > 0


def test_submit_text_bulk_and_single_level_sources(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        client = connect()
        bulk = client.jobs.submit_text(
            "echo", "1.0.0", {"a": {"input.txt": "first"}, "b": {"input.txt": "second"}}
        )
        single = client.jobs.submit_text("echo", "1.0.0", {"input.txt": "wrapped as job"})
        emit({
            name: {
                "outputs": {
                    source: client.results.block_until_complete(
                        job, timeout=60, poll_interval=0.2
                    ).get_source_outputs(source)["results.json"]
                    for source in sources
                },
                "inputs": client.jobs.get(job).job_inputs,
            }
            for name, job, sources in (("bulk", bulk, ["a", "b"]), ("single", single, ["job"]))
        })
        """
    )
    assert out["bulk"]["outputs"] == {"a": {"text": "first"}, "b": {"text": "second"}}
    assert sorted(i["identifier"] for i in out["bulk"]["inputs"]) == ["a", "b"]
    # the SDK wraps a one-level dict as the source "job"
    assert out["single"]["outputs"] == {"job": {"text": "wrapped as job"}}


def test_submit_embedded_bytes(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        client = connect()
        job = client.jobs.submit_embedded("echo", "1.0.0", {
            "bytes-in": {"input.txt": "h\\u00e9llo bytes \\u2713".encode("utf-8")},
            "bytearray-in": {"input.txt": bytearray(b"from a bytearray")},
        })
        job.block_until_complete(timeout=60, poll_interval=0.2)
        result = client.results.block_until_complete(job, timeout=60, poll_interval=0.2)
        emit({
            "status": job.status,
            "counts": [result.total, result.completed, result.failed],
            "bytes": result.get_source_outputs("bytes-in")["results.json"],
            "bytearray": result.get_source_outputs("bytearray-in")["results.json"],
        })
        """
    )
    assert out["status"] == "COMPLETED"
    assert out["counts"] == [2, 2, 0]
    assert out["bytes"] == {"text": "h\u00e9llo bytes \u2713"}
    assert out["bytearray"] == {"text": "from a bytearray"}


SUBMIT_FILES = """
import io
client = connect()
job = client.jobs.submit_file("echo", "1.0.0", {
    "big": {"input.txt": P["big"]},
    "small": {"input.txt": io.BytesIO(P["small"].encode("utf-8"))},
})
closed = dict(job)
job.block_until_complete(timeout=60, poll_interval=0.2)
result = client.results.block_until_complete(job, timeout=60, poll_interval=0.2)
import hashlib
big = result.get_source_outputs("big")["results.json"]["text"]
emit({
    "closed": closed,
    "status": job.status,
    "counts": [result.total, result.completed, result.failed],
    "big_length": len(big.encode("utf-8")),
    "big_sha256": hashlib.sha256(big.encode("utf-8")).hexdigest(),
    "big_head": big[:40],
    "small": result.get_source_outputs("small")["results.json"],
    "job": dict(client.jobs.get(job)),
})
"""


def test_submit_file_chunked_upload(sdk: SdkRunner, tmp_path: Path) -> None:
    # 2.5 MB of numbered lines: more than two 1 MiB chunks, and any reordering shows
    content = "".join(f"{n:09d}\n" for n in range(250_000)).encode()
    assert len(content) == 2_500_000
    big = tmp_path / "big.txt"
    big.write_bytes(content)
    out = sdk.run(SUBMIT_FILES, params={"big": str(big), "small": "a small file \u2713"})
    assert out["closed"]["jobIdentifier"]
    assert out["closed"]["status"] in ("SUBMITTED", "IN_PROGRESS", "COMPLETED")
    assert out["status"] == "COMPLETED"
    assert out["counts"] == [2, 2, 0]
    assert out["big_length"] == len(content)
    assert out["big_sha256"] == hashlib.sha256(content).hexdigest()
    assert out["big_head"] == "000000000\n000000001\n000000002\n000000003\n"
    assert out["small"] == {"text": "a small file \u2713"}
    assert out["job"]["total"] == 2
    assert out["job"]["inputByteAmount"] == len(content) + len("a small file \u2713".encode())


def test_submit_file_source_names_needing_escapes(sdk: SdkRunner) -> None:
    """Source names are pasted into the upload URL; requests percent-encodes them."""
    out = sdk.run(
        """
        import io
        client = connect()
        sources = {name: {"input.txt": io.BytesIO(name.encode())} for name in P["names"]}
        job = client.jobs.submit_file("echo", "1.0.0", sources)
        result = client.results.block_until_complete(job, timeout=60, poll_interval=0.2)
        emit({n: result.get_source_outputs(n)["results.json"]["text"] for n in P["names"]})
        """,
        params={"names": ["my source", "caf\u00e9 \u2713", "a+b=c", "100%"]},
    )
    assert out == {n: n for n in ["my source", "caf\u00e9 \u2713", "a+b=c", "100%"]}


def test_submit_file_from_path_object(sdk: SdkRunner, tmp_path: Path) -> None:
    small = tmp_path / "small.txt"
    small.write_text("path-like input", encoding="utf-8")
    out = sdk.run(
        """
        import pathlib
        client = connect()
        job = client.jobs.submit_file("echo", "1.0.0", {"input.txt": pathlib.Path(P["path"])})
        result = client.results.block_until_complete(job, timeout=60, poll_interval=0.2)
        emit(result.get_source_outputs("job")["results.json"])
        """,
        params={"path": str(small)},
    )
    assert out == {"text": "path-like input"}


def test_submit_file_with_explain_and_model_helpers(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        import io
        client = connect()
        explained = client.jobs.submit_file(
            "ed542963de", "1.0.1", {"doc": {"input.txt": io.BytesIO(b"A great, happy day")}},
            explain=True,
        )
        model = client.models.get("echo")
        # Model.submit_files and the *_bulk helpers are the Model methods that work in 0.11.6
        by_model = {
            "files": model.submit_files("1.0.0", {"input.txt": io.BytesIO(b"via model")}),
            "text_bulk": model.submit_text_bulk("1.0.0", {"t": {"input.txt": "bulk text"}}),
            "bytes_bulk": model.submit_bytes_bulk("1.0.0", {"b": {"input.txt": b"bulk bytes"}}),
        }
        def first(job):
            result = client.results.block_until_complete(job, timeout=60, poll_interval=0.2)
            return result.get_first_outputs()["results.json"]
        emit({
            "explain_flag": client.jobs.get(explained).explain,
            "explained": first(explained),
            "by_model": {name: first(job) for name, job in by_model.items()},
        })
        """
    )
    assert out["explain_flag"] is True
    data = out["explained"]["data"]
    assert data["result"]["classPredictions"][0]["class"] == "positive"
    words = {w["word"]: w["contribution"] for w in data["explanation"]["wordContributions"]}
    assert words["great"] > 0 and words["happy"] > 0
    assert out["by_model"] == {
        "files": {"text": "via model"},
        "text_bulk": {"text": "bulk text"},
        "bytes_bulk": {"text": "bulk bytes"},
    }


def test_failed_item_next_to_successful_one(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        from modzy.error import ResultsError
        client = connect()
        job = client.jobs.submit_text("echo", "1.0.0", {
            "good": {"input.txt": "all fine"},
            "bad": {"input.txt": "error:boom"},
        })
        job.block_until_complete(timeout=60, poll_interval=0.2)
        result = client.results.block_until_complete(job, timeout=60, poll_interval=0.2)
        bad = capture(result.get_source_outputs, "bad")
        emit({
            "status": job.status,
            "finished": result.finished,
            "failed": result.failed,
            "completed": result.completed,
            "total": result.total,
            "good": result.get_source_outputs("good")["results.json"],
            "bad": bad,
            "is_results_error": bad["type"] == ResultsError.__name__
                and bad["module"] == ResultsError.__module__,
            "failure": result.failures["bad"],
            "unknown": capture(result.get_source_outputs, "no-such-source"),
        })
        """
    )
    assert out["status"] == "COMPLETED"
    assert out["finished"] is True
    assert (out["total"], out["completed"], out["failed"]) == (2, 1, 1)
    assert out["good"] == {"text": "all fine"}
    assert out["bad"]["raised"] and out["is_results_error"], out["bad"]
    assert "boom" in out["bad"]["message"]
    assert out["failure"]["status"] == "FAILED"
    assert "boom" in out["failure"]["error"]
    assert out["unknown"]["type"] == "KeyError"


def test_job_sync_and_features(sdk: SdkRunner) -> None:
    out = sdk.run(
        """
        client = connect()
        job = client.jobs.submit_text("echo", "1.0.0", {"s": {"input.txt": "sync me"}})
        result = job.get_result()
        finished_at_once = result.finished
        result.block_until_complete(timeout=60, poll_interval=0.2)
        job.sync()
        emit({
            "status": job.status,
            "result": result.get_first_outputs()["results.json"],
            "finished": [finished_at_once, result.finished],
            "features": dict(client.jobs.get_features()),
        })
        """
    )
    assert out["status"] == "COMPLETED"
    assert out["result"] == {"text": "sync me"}
    assert out["finished"][1] is True
    features = out["features"]
    assert features["inputChunkMaximumSize"] == features["input_chunk_maximum_size"]
    assert features["maximumInputChunks"] >= 1
    assert features["maximumInputsPerJob"] >= 1


@pytest.fixture(scope="module")
def decimal_chunk_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """A server whose chunk limit is 1 MB (1,000,000 bytes), not a multiple of 1024."""
    server = start_server(
        tmp_path_factory.mktemp("compat-chunk-server"),
        extra_env={"INFERJOBS_API__CHUNK_MAX_BYTES": "1000000"},
        args=("--workers", "1"),
    )
    yield server
    server.stop()


def test_submit_file_honours_a_chunk_limit_that_is_not_a_multiple_of_1024(
    sdk: SdkRunner, decimal_chunk_server: ServerProcess, tmp_path: Path
) -> None:
    """The SDK reads `input_chunk_maximum_size` from GET /jobs/features and needs a unit it
    knows (modzy-api.md §2a: "1024" without a unit makes it fall back to 1 MiB chunks)."""
    content = "".join(f"{n:09d}\n" for n in range(250_000)).encode()
    big = tmp_path / "big.txt"
    big.write_bytes(content)
    out = sdk.run(
        """
        from modzy._size import human_read_to_bytes
        client = connect()
        features = client.jobs.get_features()
        advertised = features.get("input_chunk_maximum_size")
        try:
            parsed = human_read_to_bytes(advertised)
        except Exception as exc:
            parsed = f"{type(exc).__name__}: {exc}"
        submitted = capture(
            client.jobs.submit_file, "echo", "1.0.0", {"big": {"input.txt": P["big"]}}
        )
        length = None
        if not submitted["raised"]:
            result = client.results.block_until_complete(
                submitted["value"]["jobIdentifier"], timeout=60, poll_interval=0.2
            )
            length = len(result.get_source_outputs("big")["results.json"]["text"])
        emit({
            "advertised": advertised, "parsed": parsed, "submitted": submitted, "length": length
        })
        """,
        server=decimal_chunk_server,
        params={"big": str(big)},
    )
    problems = []
    if out["submitted"]["raised"]:
        problems.append(f"submit_file of {len(content)} bytes raised {out['submitted']}")
    if not isinstance(out["parsed"], int) or not 0 < out["parsed"] <= 1_000_000:
        problems.append(
            f"GET /jobs/features advertises input_chunk_maximum_size={out['advertised']!r}, "
            f"which modzy-sdk reads as {out['parsed']}: not a chunk size within the limit"
        )
    assert not problems, "\n".join(problems)
    assert out["length"] == len(content)


def test_text_that_starts_like_a_binary_signature(sdk: SdkRunner) -> None:
    """The SDK labels uploaded and embedded bytes application/octet-stream, so the server
    detects the type (modzy-api.md §12: magic numbers; valid UTF-8 is text). Plain UTF-8 text
    whose first letters happen to match a short signature ("BM" of BMP, "ID3" of MP3) is
    still text and must be accepted by a text/plain input, as submit_text accepts it."""
    texts = {
        "bmw": "BMW and BMI are acronyms.",
        "id3": "ID3 tags describe MP3 files.",
        "plain": "An ordinary sentence.",
    }
    out = sdk.run(
        """
        import io
        client = connect()
        report = {}
        for how in ("text", "embedded", "file"):
            if how == "text":
                sources = {k: {"input.txt": v} for k, v in P["texts"].items()}
                submit = client.jobs.submit_text
            elif how == "embedded":
                sources = {k: {"input.txt": v.encode()} for k, v in P["texts"].items()}
                submit = client.jobs.submit_embedded
            else:
                sources = {k: {"input.txt": io.BytesIO(v.encode())} for k, v in P["texts"].items()}
                submit = client.jobs.submit_file
            for name, source in sources.items():
                submitted = capture(submit, "echo", "1.0.0", {name: source})
                if submitted["raised"]:
                    report[f"{how}/{name}"] = submitted["message"]
                    continue
                result = client.results.block_until_complete(
                    submitted["value"]["jobIdentifier"], timeout=60, poll_interval=0.2
                )
                report[f"{how}/{name}"] = result.get_source_outputs(name)["results.json"]["text"]
        emit(report)
        """,
        params={"texts": texts},
    )
    expected = {
        f"{how}/{name}": text
        for how in ("text", "embedded", "file")
        for name, text in texts.items()
    }
    wrong = {k: v for k, v in out.items() if v != expected[k]}
    assert not wrong, f"text inputs refused or changed: {wrong}"
