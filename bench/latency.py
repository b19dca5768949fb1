"""3. Submit latency: POST /api/jobs (one text item) with 1, 16 and 64 concurrent clients.

The load generator is a minimal keep-alive HTTP/1.1 client on asyncio, so that what is timed
is the server, not a client library. Each client sends its next request as soon as the last one
answers, for a fixed time; the API runs alone (no worker), so only the submit path is measured.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.client import ECHO, submit_body
from bench.common import HOST, Sizes, median, percentile
from bench.stack import Stack, inferjobs

WARMUP_REQUESTS = 50


@dataclass
class Tally:
    latencies_ms: list[float] = field(default_factory=list)
    errors: int = 0
    error_kinds: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors += 1
        self.error_kinds[kind] = self.error_kinds.get(kind, 0) + 1


def request_bytes(stack: Stack) -> bytes:
    body = json.dumps(submit_body(ECHO, [("item-1", "x")])).encode()
    head = (
        "POST /api/jobs HTTP/1.1\r\n"
        f"Host: {HOST}\r\n"
        f"Authorization: ApiKey {stack.key}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Status code, and whether the server is closing the connection."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split(" ", 2)[1])
    headers = dict(line.lower().split(": ", 1) for line in lines[1:] if ": " in line)
    await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers.get("connection") == "close"


async def client(port: int, request: bytes, deadline: float, tally: Tally) -> None:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        while time.monotonic() < deadline:
            began = time.perf_counter()
            try:
                writer.write(request)
                status, closing = await read_response(reader)
            except (OSError, asyncio.IncompleteReadError) as exc:
                tally.error(type(exc).__name__)
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
                continue
            tally.latencies_ms.append((time.perf_counter() - began) * 1000)
            if status != 200:
                tally.error(f"HTTP {status}")
            if closing:
                writer.close()
                reader, writer = await asyncio.open_connection(HOST, port)
    finally:
        writer.close()


async def load(port: int, request: bytes, clients: int, seconds: float) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(client(port, request, deadline, tally) for _ in range(clients)))
    return tally


def measure(stack: Stack, clients: int, seconds: float) -> dict[str, Any]:
    port = int(stack.url.rsplit(":", 1)[1])
    request = request_bytes(stack)
    asyncio.run(load(port, request, 1, 0.5))  # warm-up: connections, caches, JIT-free paths
    began = time.perf_counter()
    tally = asyncio.run(load(port, request, clients, seconds))
    elapsed = time.perf_counter() - began
    ok = len(tally.latencies_ms) - tally.errors
    return {
        "clients": clients,
        "requests": len(tally.latencies_ms),
        "errors": tally.errors,
        "error_kinds": tally.error_kinds,
        "p50_ms": percentile(tally.latencies_ms, 50),
        "p99_ms": percentile(tally.latencies_ms, 99),
        "submits_per_s": ok / elapsed,
    }


def run(sizes: Sizes, work_dir: Path) -> dict[str, Any]:
    raw: dict[str, list[dict[str, Any]]] = {}
    for round_no in range(sizes.rounds):
        for db in sizes.latency_databases:
            with inferjobs(work_dir / f"r{round_no}-{db}", db, 0) as stack:
                for clients in sizes.latency_clients:
                    result = measure(stack, clients, sizes.latency_seconds)
                    raw.setdefault(f"{db} c={clients}", []).append(result)
                    print(f"  latency round {round_no + 1} {db} c={clients}: {_brief(result)}")
    return {"raw": raw, "rows": [_row(label, runs) for label, runs in raw.items()]}


def _row(label: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    db, clients = label.split(" c=")
    return {
        "database": db,
        "clients": int(clients),
        "p50_ms": median([r["p50_ms"] for r in runs]),
        "p99_ms": median([r["p99_ms"] for r in runs]),
        "submits_per_s": median([r["submits_per_s"] for r in runs]),
        "requests": sum(r["requests"] for r in runs),
        "errors": sum(r["errors"] for r in runs),
    }


def _brief(result: dict[str, Any]) -> str:
    return (
        f"p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
        f"{result['submits_per_s']:.0f}/s, errors {result['errors']} {result['error_kinds']}"
    )
