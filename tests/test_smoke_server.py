from __future__ import annotations

import httpx

from tests.support.server import ServerProcess


def test_server_process_serves_models(server: ServerProcess) -> None:
    response = httpx.get(f"{server.api}/models", headers=server.headers())
    assert response.status_code == 200
    assert "ed542963de" in {m["modelId"] for m in response.json()}
