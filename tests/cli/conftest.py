"""A server shared by the tests of one module that neither need nor disturb a clean history."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.server import ServerProcess, start_server


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    """Like `server` (a real `inferjobs serve` on SQLite), started once per test module."""
    proc = start_server(tmp_path_factory.mktemp("cli-server"))
    yield proc
    proc.stop()
