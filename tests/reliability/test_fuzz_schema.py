"""Schemathesis against the OpenAPI document of a running server: every route, generated valid
and invalid requests, sent with an admin key, a user key, a wrong key and no key.

Zero 5xx, zero hangs (every request answers within the client timeout), and no response holds
an API key's secret.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.generation import GenerationMode

from tests.reliability import figures
from tests.support.server import ServerProcess, start_server

EXAMPLES = int(os.environ.get("INFERJOBS_FUZZ_EXAMPLES", "8"))
TIMEOUT = 10  # seconds: an answer later than this counts as a hang
MODES = (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {
        "INFERJOBS_API__AUTH_FAILURES_MAX": "0",  # the fuzzer sends wrong keys on purpose
        "INFERJOBS_API__MAX_BODY_BYTES": str(1024 * 1024),
    }
    proc = start_server(tmp_path_factory.mktemp("fuzz"), extra_env=env)
    try:
        yield proc
    finally:
        proc.stop()


def _keys(server: ServerProcess) -> dict[str, dict[str, str]]:
    user = server.cli("keys", "create", "--name", "fuzz-user").stdout.strip()
    return {
        "admin": server.headers(),
        "user": server.headers(user),
        "wrong": server.headers(server.key.split(".")[0] + ".wrong-secret"),
        "none": {},
    }


def _jobs(server: ServerProcess) -> list[str]:
    """A finished job and an OPEN one, so that fuzzed requests also reach real jobs."""
    headers = server.headers()
    model = {"identifier": "echo", "version": "1.0.0"}
    done = requests.post(
        f"{server.api}/jobs",
        json={"model": model, "input": {"type": "text", "sources": {"a": {"input.txt": "x"}}}},
        headers=headers,
        timeout=TIMEOUT,
    ).json()["jobIdentifier"]
    opened = requests.post(
        f"{server.api}/jobs", json={"model": model}, headers=headers, timeout=TIMEOUT
    ).json()["jobIdentifier"]
    return [done, opened]


def test_every_route_answers_without_5xx(server: ServerProcess) -> None:
    _campaign(server, EXAMPLES, "schemathesis (every route, 4 keys)")


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_every_route_long_campaign(server: ServerProcess) -> None:
    _campaign(server, EXAMPLES * 25, "schemathesis (every route, 4 keys, long)")


def _campaign(server: ServerProcess, examples: int, label: str) -> None:
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    campaign = Campaign(server, _keys(server), _jobs(server), examples)
    operations = [result.ok() for result in schema.get_all_operations()]
    for operation in operations:
        for mode in MODES:
            campaign.fuzz(operation, mode)
    assert not campaign.failures, campaign.failures[:10]
    assert len(operations) >= 25
    figures.record(
        label,
        operations=len(operations),
        requests=sum(campaign.seen.values()),
        answers_5xx=sum(n for status, n in campaign.seen.items() if status >= 500),
        hangs=0,
    )


@dataclass
class Campaign:
    """Sends each generated request once per key and notes what comes back."""

    server: ServerProcess
    keys: dict[str, dict[str, str]]
    job_ids: list[str]
    examples: int
    seen: Counter[int] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)

    @property
    def secrets(self) -> list[str]:
        return [h["Authorization"].split(".", 1)[1] for h in self.keys.values() if h]

    def fuzz(self, operation: Any, mode: GenerationMode) -> None:
        strategies = [operation.as_strategy(generation_mode=mode)]
        if "{job_id}" in operation.path:  # also reach real jobs, not only unknown ids
            strategies += [
                operation.as_strategy(generation_mode=mode, path_parameters={"job_id": job_id})
                for job_id in self.job_ids
            ]

        @settings(
            max_examples=self.examples,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=st.one_of(strategies))
        def run(case: Any) -> None:
            for who, headers in self.keys.items():
                self.send(case, who, headers, mode)

        try:
            run()
        except Unsatisfiable:  # nothing in this route's schema can be made invalid
            assert mode is GenerationMode.NEGATIVE, operation.path

    def send(self, case: Any, who: str, headers: dict[str, str], mode: GenerationMode) -> None:
        response = case.call(base_url=self.server.url, headers=headers, timeout=TIMEOUT)
        self.seen[response.status_code] += 1
        where = f"{case.method} {case.formatted_path} as {who} ({mode})"
        if response.status_code >= 500:
            self.failures.append(f"{where}: {response.status_code} {response.text[:300]}")
        if any(secret in response.text for secret in self.secrets):
            self.failures.append(f"{where}: the response holds a key's secret")


def test_the_document_names_every_parameter(server: ServerProcess) -> None:
    document = requests.get(f"{server.url}/openapi.json", timeout=TIMEOUT).json()
    history = document["paths"]["/api/jobs/history"]["get"]
    assert {"accessKey", "per-page", "startDate"} <= {p["name"] for p in history["parameters"]}
    assert "ApiKey" in document["components"]["securitySchemes"]
    assert document["paths"]["/api/health"]["get"]["security"] == []
