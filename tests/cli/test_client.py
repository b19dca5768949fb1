"""Unit tests of the HTTP client: URL handling, request shapes, error mapping (no server)."""

from __future__ import annotations

import base64
import json

import httpx
import pytest

from inferjobs.client import ApiError, InferJobsClient, api_base
from inferjobs.errors import InferJobsError
from tests.support.server import free_port


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("http://h:8000", "http://h:8000/api"),
        ("http://h:8000/", "http://h:8000/api"),
        ("http://h:8000/api", "http://h:8000/api"),
        ("http://h:8000/api/", "http://h:8000/api"),
        (" https://h/prefix ", "https://h/prefix/api"),
        ("127.0.0.1:8000", "http://127.0.0.1:8000/api"),
    ],
)
def test_api_base_accepts_urls_with_or_without_api(given: str, expected: str) -> None:
    assert api_base(given) == expected


def test_api_base_rejects_an_empty_url() -> None:
    with pytest.raises(ValueError, match="empty"):
        api_base("  ")


class Recorder:
    """A MockTransport handler that records requests and answers from a queue."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.requests: list[httpx.Request] = []
        self.answers = list(answers)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.answers.pop(0) if self.answers else httpx.Response(200, json={})

    def client(self, url: str = "http://h:8000") -> InferJobsClient:
        return InferJobsClient(url, "pre.secret", transport=httpx.MockTransport(self))


@pytest.mark.parametrize("url", ["http://h:8000", "http://h:8000/api/"])
def test_requests_go_under_api_with_the_key(url: str) -> None:
    recorder = Recorder(httpx.Response(200, json=[{"modelId": "m"}]))
    with recorder.client(url) as client:
        assert client.models() == [{"modelId": "m"}]
    sent = recorder.requests[0]
    assert sent.url.path == "/api/models"
    assert sent.headers["Authorization"] == "ApiKey pre.secret"


def test_path_segments_are_escaped() -> None:
    recorder = Recorder(httpx.Response(200, json={"jobIdentifier": "x"}))
    with recorder.client() as client:
        client.job("a/b?c")
    assert recorder.requests[0].url.raw_path == b"/api/jobs/a%2Fb%3Fc"


def test_server_error_body_becomes_api_error() -> None:
    body = {"statusCode": 404, "status": "NOT_FOUND", "message": "job x not found"}
    recorder = Recorder(httpx.Response(404, json=body))
    with recorder.client() as client, pytest.raises(ApiError) as caught:
        client.job("x")
    assert (caught.value.status_code, caught.value.message) == (404, "job x not found")
    assert isinstance(caught.value, InferJobsError)


def test_non_json_error_names_the_status() -> None:
    recorder = Recorder(httpx.Response(502, text="<html>bad gateway</html>"))
    with recorder.client() as client, pytest.raises(ApiError, match="HTTP 502 Bad Gateway"):
        client.results("x")


def test_a_list_where_an_object_is_expected_is_an_error() -> None:
    recorder = Recorder(httpx.Response(200, json=[1, 2]))
    with recorder.client() as client, pytest.raises(ApiError, match="JSON object"):
        client.job("x")


def test_submit_embedded_sends_data_uris_and_timeout() -> None:
    recorder = Recorder(httpx.Response(200, json={"jobIdentifier": "j", "status": "SUBMITTED"}))
    with recorder.client() as client:
        job = client.submit_embedded("m", "1", {"a": {"input.txt": b"hi"}}, timeout_ms=500)
    assert job["jobIdentifier"] == "j"
    body = json.loads(recorder.requests[0].content)
    assert body["input"]["type"] == "embedded"
    value = body["input"]["sources"]["a"]["input.txt"]
    assert value == "data:application/octet-stream;base64," + base64.b64encode(b"hi").decode()
    assert (body["timeout"], body["explain"]) == (500, False)


def test_history_maps_filter_names_and_reads_the_link_header() -> None:
    link = '</api/jobs/history?page=2>; rel="next"'
    recorder = Recorder(httpx.Response(200, json=[], headers={"Link": link}))
    with recorder.client() as client:
        page, more = client.history(access_key="pre", sort_by="status", per_page=5, user=None)
    assert (page, more) == ([], True)
    assert dict(recorder.requests[0].url.params) == {
        "accessKey": "pre",
        "sort-by": "status",
        "per-page": "5",
    }


def test_history_without_link_has_no_next_page() -> None:
    recorder = Recorder(httpx.Response(200, json=[{"jobIdentifier": "j"}]))
    with recorder.client() as client:
        assert client.history(status="all") == ([{"jobIdentifier": "j"}], False)


def test_history_rejects_unknown_filters() -> None:
    with Recorder().client() as client, pytest.raises(TypeError, match="colour"):
        client.history(colour="red")


def test_connection_refused_is_a_clear_api_error() -> None:
    port = free_port()
    client = InferJobsClient(f"http://127.0.0.1:{port}", "k.s", timeout=5)
    with client, pytest.raises(ApiError) as caught:
        client.models()
    assert caught.value.status_code == 0
    assert caught.value.message == f"cannot reach http://127.0.0.1:{port}/api: connection refused"
