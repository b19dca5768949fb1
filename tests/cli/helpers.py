"""Run the `inferjobs` CLI as a real subprocess against a test server."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from tests.support.server import ServerProcess


def run(server: ServerProcess, *args: str) -> subprocess.CompletedProcess[str]:
    """`inferjobs ARGS --url ... --api-key ...`; the exit code is left to the test."""
    return server.cli(*args, "--url", server.url, "--api-key", server.key, check=False)


def run_env(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """`inferjobs ARGS` with exactly `env` (no INFERJOBS_API_KEY unless given)."""
    return subprocess.run(
        [sys.executable, "-m", "inferjobs", *args],
        env=env,
        text=True,
        capture_output=True,
        timeout=120,
        check=False,
    )


def env_without_key(server: ServerProcess, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in server.env.items() if k not in ("INFERJOBS_API_KEY", "INFERJOBS_URL")}
    env.update(extra)
    return env


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without any INFERJOBS_ setting, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INFERJOBS_")}
    env.update(extra)
    return env


def ok_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def submit_id(server: ServerProcess, *args: str) -> str:
    """Submit without --wait: stdout must be the job id and nothing else."""
    result = run(server, "submit", *args)
    assert result.returncode == 0, result.stderr
    job_id = result.stdout.strip()
    assert result.stdout == job_id + "\n"
    assert len(job_id) == 36 and job_id.count("-") == 4
    return job_id
