"""Fixtures for the modzy-sdk compatibility suite: the SDK's venv, a real server, the runner."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.compat.runner import SdkRunner, SdkVenvError, ensure_sdk_venv
from tests.support.server import ServerProcess, start_server


@pytest.fixture(scope="session")
def sdk_python() -> Path | SdkVenvError:
    """The SDK venv's Python, or why it could not be made (tried once per session)."""
    try:
        return ensure_sdk_venv()
    except SdkVenvError as exc:
        return exc


@pytest.fixture(scope="session")
def compat_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """One real server for the whole suite (SQLite, two in-process workers)."""
    server = start_server(tmp_path_factory.mktemp("compat-server"), args=("--workers", "2"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def sdk(
    sdk_python: Path | SdkVenvError,
    compat_server: ServerProcess,
    tmp_path_factory: pytest.TempPathFactory,
) -> SdkRunner:
    return SdkRunner(sdk_python, compat_server, tmp_path_factory.mktemp("sdk-scripts"))
