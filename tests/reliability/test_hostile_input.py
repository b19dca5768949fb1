"""Hostile input over HTTP, on SQLite and PostgreSQL: every answer is a 2xx or a 4xx that says
what is wrong; nothing escapes the blob directory; a bad item fails alone."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any
from urllib.parse import unquote

import httpx

from inferjobs.services import history
from tests.api.conftest import Api
from tests.reliability import figures
from tests.reliability.keys import make_key

FILTERS = history.PARAMETERS
INJECTIONS = (
    "' OR 1=1 --",
    "'; DROP TABLE jobs; --",
    '" OR ""="',
    "%' OR '%'='",
    "%",
    "_",
    "\\",
    "1; SELECT pg_sleep(30)",
    "x' UNION SELECT secret_hash, 1 FROM api_keys --",
    "\x00",
    "2023-01-01' OR '1'='1",
    "9" * 40,
    "-1",
    "NaN",
    "é☃\U0001f600",
)
TRAVERSALS = (
    "..",
    "...",
    "..%2F..%2Fetc",
    "%2e%2e",
    "..\\..\\windows",
    "a%2F..%2F..%2Fb",
    "%00",
    "~root",
    "$(id)",
)


def _open(api: Api) -> str:
    response = api.post("/jobs", json={"model": {"identifier": "echo", "version": "1.0.0"}})
    assert response.status_code == 200, response.text
    return str(response.json()["jobIdentifier"])


def _expect_4xx(response: httpx.Response, *allowed: int) -> None:
    assert response.status_code in allowed, (response.status_code, response.text)
    body = response.json()
    assert body["statusCode"] == response.status_code and body["message"]


def test_sql_injection_in_every_history_filter(hostile_api: Api) -> None:
    mine = hostile_api.submit_texts("echo", "1.0.0", {"a": "secret text"})
    other = hostile_api.as_key(make_key(hostile_api, "intruder"))
    answers = 0
    for name in FILTERS:
        for value in INJECTIONS:
            response = other.get("/jobs/history", params={name: value}, timeout=10)
            answers += 1
            assert response.status_code in (200, 400), (name, value, response.text)
            if response.status_code == 200:
                assert mine not in response.text, (name, value)
    models = other.get("/models", params={"name": "' OR 1=1 --", "author": "\x00"})
    assert models.status_code == 200 and models.json() == []
    figures.record("hostile input", sql_injection_requests=answers, answers_5xx=0)


def test_huge_pages_and_per_page(hostile_api: Api) -> None:
    for params in ({"per-page": "1000000000"}, {"page": "9" * 40}, {"per-page": "-5"}):
        _expect_4xx(hostile_api.get("/jobs/history", params=params), 400)
    assert hostile_api.get("/jobs/history", params={"per-page": "1000"}).status_code == 200
    _expect_4xx(hostile_api.get("/models", params={"page": "9" * 40}), 400)


def test_path_traversal_in_upload_names(hostile_api: Api) -> None:
    job_id = _open(hostile_api)
    for name in TRAVERSALS:
        response = hostile_api.post(
            f"/jobs/{job_id}/{name}/input.txt", files={"input": ("input", name.encode())}
        )
        # 405: the client resolved a `..` segment itself, and no POST route matched
        assert response.status_code in (200, 400, 404, 405), (name, response.text)
        bad_input = hostile_api.post(
            f"/jobs/{job_id}/item/{name}", files={"input": ("input", b"x")}
        )
        _expect_4xx(bad_input, 400, 404, 405)
    for name in ("..%2F..%2Fx", "%2e%2e%2f"):
        _expect_4xx(hostile_api.get(f"/results/{job_id}/{name}/results.json"), 404)
    closed = hostile_api.post(f"/jobs/{job_id}/close")
    assert closed.status_code == 200, closed.text
    hostile_api.wait(job_id)
    results = hostile_api.get(f"/results/{job_id}").json()["results"]
    for name, result in results.items():  # each name came back as an item name, not a path
        assert unquote(result["results.json"]["text"]) == name
    root = (hostile_api.server.data_dir / "blobs").resolve()
    for path in root.rglob("*"):
        assert path.resolve().is_relative_to(root)
        assert path.resolve().relative_to(root).parts[0] == "jobs"


def test_oversize_bodies_items_and_chunks(hostile_api: Api) -> None:
    limit = 4 * 1024 * 1024
    declared = hostile_api.post(
        "/jobs", content=b"{" + b" " * limit + b"}", headers={"Content-Type": "application/json"}
    )
    _expect_4xx(declared, 413)

    def streamed() -> Any:  # no Content-Length: the server counts as it reads
        for _ in range(5):
            yield b" " * (1024 * 1024)

    _expect_4xx(hostile_api.post("/jobs", content=streamed()), 413)
    big_item = hostile_api.submit("ed542963de", "1.0.1", {"a": {"input.txt": "a" * 1_000_001}})
    _expect_4xx(big_item, 413)
    too_many = hostile_api.submit(
        "echo", "1.0.0", {f"i{n}": {"input.txt": "x"} for n in range(1001)}
    )
    _expect_4xx(too_many, 413)
    job_id = _open(hostile_api)
    chunk = hostile_api.post(
        f"/jobs/{job_id}/a/input.txt", files={"input": ("input", b"x" * (1024 * 1024 + 1))}
    )
    _expect_4xx(chunk, 413)
    figures.record("hostile input", oversize_requests=5)


def test_deeply_nested_json(hostile_api: Api) -> None:
    depth = 200_000
    nested = b"[" * depth + b"]" * depth
    _expect_4xx(hostile_api.post("/jobs", content=nested), 400)
    inside = (
        b'{"model":{"identifier":"echo","version":"1.0.0"},"input":{"type":"text","sources":'
        b'{"a":{"input.txt":' + b"[" * depth + b"]" * depth + b"}}}}"
    )
    _expect_4xx(hostile_api.post("/jobs", content=inside), 400)
    patch = hostile_api.http.patch(
        "/models/echo/versions/1.0.0", content=nested, headers={"Content-Type": "application/json"}
    )
    _expect_4xx(patch, 400)


def _png_bomb(side: int) -> bytes:
    """A grey PNG of side x side pixels, all black: a few hundred KB that decode to side**2 B."""
    squeeze = zlib.compressobj(9)
    row = b"\x00" * (side + 1)  # filter byte + pixels
    packed = b"".join(squeeze.compress(row) for _ in range(side)) + squeeze.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", side, side, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", packed) + chunk(b"IEND", b"")
    )


def test_a_decompression_bomb_fails_its_item_alone(hostile_api: Api) -> None:
    bomb = _png_bomb(10_000)  # 100 million pixels
    assert len(bomb) < 1_000_000
    small = _png_bomb(8)
    sources = {
        name: {"image": "data:image/png;base64," + base64.b64encode(data).decode()}
        for name, data in (("bomb", bomb), ("fine", small))
    }
    response = hostile_api.submit("digits", "1.0.0", sources, kind="embedded")
    assert response.status_code == 200, response.text
    job = hostile_api.wait(response.json()["jobIdentifier"], timeout=120)
    assert job["status"] == "COMPLETED"
    results = hostile_api.get(f"/results/{job['jobIdentifier']}").json()
    assert "over the limit of 40000000 pixels" in results["failures"]["bomb"]["error"]
    assert results["results"]["fine"]["status"] == "SUCCESSFUL"
    figures.record("hostile input", decompression_bombs=1)
