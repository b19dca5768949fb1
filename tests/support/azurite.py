"""A real Azure Blob endpoint for tests: Azurite, the official emulator (npm package), installed
by scripts/test into .tools/ and bound to 127.0.0.1."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from tests.support.server import free_port

ACCOUNT = "devstoreaccount1"
# Azurite's documented, public development key (not a secret).
KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
BINARY = Path(__file__).parents[2] / ".tools" / "node_modules" / ".bin" / "azurite-blob"


@dataclass
class Azurite:
    endpoint: str
    account: str = ACCOUNT
    key: str = KEY

    def service(self) -> Any:
        from azure.storage.blob import BlobServiceClient

        return BlobServiceClient(
            account_url=self.endpoint,
            credential={"account_name": self.account, "account_key": self.key},
        )


def available() -> bool:
    return BINARY.exists()


@contextmanager
def azurite(workdir: Path) -> Iterator[Azurite]:
    port = free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    with (workdir / "azurite.log").open("wb") as log:
        process = subprocess.Popen(
            [
                str(BINARY),
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(port),
                "--location",
                str(workdir),
                "--skipApiVersionCheck",
                "--disableProductStyleUrl",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ},
        )
    server = Azurite(f"http://127.0.0.1:{port}/{ACCOUNT}")
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError((workdir / "azurite.log").read_text()[-2000:])
            try:
                httpx.get(server.endpoint, timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield server
    finally:
        process.terminate()
        process.wait(20)
