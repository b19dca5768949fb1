"""An inferjobs server allowed to reach 127.0.0.1 (refused by default) for source tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.api.conftest import Api, serve_api
from tests.support.server import start_server


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, sqlite_dir: Path) -> Iterator[Api]:
    env = {
        "INFERJOBS_SOURCES__ALLOWED_HOSTS": "127.0.0.1,localhost",
        "INFERJOBS_SOURCES__SQLITE_DIR": str(sqlite_dir),
        "INFERJOBS_SOURCES__PAGE_SIZE": "100",
    }
    yield from serve_api(start_server(tmp_path_factory.mktemp("src-api"), extra_env=env))
