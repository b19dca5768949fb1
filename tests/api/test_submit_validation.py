"""Bad submissions get a 4xx naming the item, the input and what was expected; nothing queued."""

from __future__ import annotations

import base64

import pytest

from tests.api.conftest import BODY_LIMIT, Api

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def _history_size(api: Api) -> int:
    return len(api.get("/jobs/history", params={"per-page": 1000}).json())


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (
            {
                "model": {"identifier": "nope", "version": "1"},
                "input": {"type": "text", "sources": {"a": {"input.txt": "x"}}},
            },
            400,
            ["nope"],
        ),
        (
            {
                "model": {"identifier": "ed542963de", "version": "9.9.9"},
                "input": {"type": "text", "sources": {"a": {"input.txt": "x"}}},
            },
            400,
            ["9.9.9", "1.0.1"],
        ),
        (
            {
                "model": {"identifier": "ed542963de", "version": "1.0.1"},
                "input": {"type": "text", "sources": {"item-7": {"wrong.txt": "x"}}},
            },
            400,
            ["item-7", "wrong.txt", "input.txt"],
        ),
        (
            {
                "model": {"identifier": "ed542963de", "version": "1.0.1"},
                "input": {"type": "text", "sources": {}},
            },
            400,
            ["input.sources"],
        ),
        (
            {
                "model": {"identifier": "ed542963de", "version": "1.0.1"},
                "input": {
                    "type": "embedded",
                    "sources": {"pic": {"input.txt": "data:image/png;base64,%%%"}},
                },
            },
            400,
            ["pic", "input.txt", "base64"],
        ),
        (
            {
                "model": {"identifier": "ed542963de", "version": "1.0.1"},
                "input": {
                    "type": "embedded",
                    "sources": {
                        "pic": {
                            "input.txt": "data:application/octet-stream;"
                            "base64," + base64.b64encode(PNG).decode()
                        }
                    },
                },
            },
            400,
            ["pic", "input.txt", "image/png", "text/plain"],
        ),
        (
            {
                "model": {"identifier": "ed542963de", "version": "1.0.1"},
                "input": {"type": "text", "sources": {"long": {"input.txt": "x" * 1_000_001}}},
            },
            413,
            ["long", "input.txt", "1000000"],
        ),
        (
            {
                "model": {"identifier": "echo", "version": "1.0.0"},
                "explain": True,
                "input": {"type": "text", "sources": {"a": {"input.txt": "x"}}},
            },
            400,
            ["explain"],
        ),
        (
            {
                "model": {"identifier": "echo", "version": "1.0.0"},
                "input": {"type": "carrier-pigeon", "sources": {"a": {"input.txt": "x"}}},
            },
            400,
            ["input.type"],
        ),
        ({"model": "echo"}, 400, ["model"]),
        ([1, 2], 400, ["JSON object"]),
    ],
)
def test_rejected_with_a_clear_message_and_nothing_queued(
    api: Api, body: object, status: int, words: list[str]
) -> None:
    before = _history_size(api)
    response = api.post("/jobs", json=body)
    assert response.status_code == status, response.text
    error = response.json()
    assert error["statusCode"] == status
    for word in words:
        assert word in error["message"]
    assert _history_size(api) == before


def test_malformed_json_and_oversized_body(api: Api) -> None:
    bad = api.post("/jobs", content=b'{"model": ', headers={"Content-Type": "application/json"})
    assert bad.status_code == 400 and "JSON" in bad.json()["message"]
    huge = api.submit("echo", "1.0.0", {"a": {"input.txt": "x" * (BODY_LIMIT + 10)}})
    assert huge.status_code == 413
    assert str(BODY_LIMIT) in huge.json()["message"]


def test_embedded_text_and_plain_base64_are_accepted(api: Api) -> None:
    text = "embedded words"
    encoded = base64.b64encode(text.encode()).decode()
    response = api.submit(
        "echo",
        "1.0.0",
        {
            "uri": {"input.txt": f"data:application/octet-stream;base64,{encoded}"},
            "bare": {"input.txt": encoded},
        },
        kind="embedded",
    )
    assert response.status_code == 200, response.text
    job_id = response.json()["jobIdentifier"]
    api.wait(job_id)
    results = api.get(f"/results/{job_id}").json()["results"]
    assert results["uri"]["results.json"] == {"text": text}
    assert results["bare"]["results.json"] == {"text": text}


def test_idempotency_key_returns_the_same_job(api: Api) -> None:
    body = {
        "model": {"identifier": "echo", "version": "1.0.0"},
        "input": {"type": "text", "sources": {"a": {"input.txt": "once"}}},
    }
    headers = {"Idempotency-Key": "retry-123"}
    first = api.post("/jobs", json=body, headers=headers).json()["jobIdentifier"]
    second = api.post("/jobs", json=body, headers=headers).json()["jobIdentifier"]
    assert first == second
