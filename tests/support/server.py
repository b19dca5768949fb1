"""Start a real `inferjobs serve` process for tests that talk HTTP to it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class ServerProcess:
    url: str  # http://127.0.0.1:PORT (no /api)
    key: str  # the admin key the server created on first start
    data_dir: Path
    process: subprocess.Popen[bytes]
    log: Path
    env: dict[str, str]

    @property
    def api(self) -> str:
        return f"{self.url}/api"

    def headers(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"ApiKey {key or self.key}"}

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run an `inferjobs` command against this server's data directory and database."""
        return subprocess.run(
            [sys.executable, "-m", "inferjobs", *args],
            env=self.env,
            text=True,
            capture_output=True,
            check=check,
            timeout=120,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(10)


def start_server(
    data_dir: Path,
    *,
    database_url: str | None = None,
    extra_env: dict[str, str] | None = None,
    args: tuple[str, ...] = (),
    port: int | None = None,
) -> ServerProcess:
    data_dir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    env = {**os.environ, "INFERJOBS_DATA_DIR": str(data_dir), "INFERJOBS_LOG_LEVEL": "INFO"}
    if database_url:
        env["INFERJOBS_DATABASE__URL"] = database_url
    env.update(extra_env or {})
    log = data_dir / f"server-{port}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "inferjobs", "serve", "--port", str(port), *args],
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    _wait_ready(url, process, log)
    key = (data_dir / "default-api-key").read_text().strip()
    return ServerProcess(url, key, data_dir, process, log, env)


def _wait_ready(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/api/ready", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"server did not become ready:\n{log.read_text()}")


def start_worker_process(server: ServerProcess, log: Path, **env: str) -> subprocess.Popen[bytes]:
    """An `inferjobs worker` process with the server's settings (and `env`), output in `log`."""
    with log.open("wb") as sink:
        return subprocess.Popen(
            [sys.executable, "-m", "inferjobs", "worker"],
            env={**server.env, **env},
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
