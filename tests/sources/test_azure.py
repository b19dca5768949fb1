"""azureblob sources against Azurite, the official local emulator."""

from __future__ import annotations

import uuid
from typing import Any

from tests.api.conftest import Api
from tests.support.azurite import Azurite


def _submit(api: Api, store: Azurite, sources: dict[str, Any], key: str | None = None) -> Any:
    return api.post(
        "/jobs",
        json={
            "model": {"identifier": "echo", "version": "1.0.0"},
            "explain": False,
            "input": {
                "type": "azureblob",
                "storageAccount": store.account,
                "storageAccountKey": key or store.key,
                "endpoint": store.endpoint,
                "sources": sources,
            },
        },
    )


def test_blobs_are_fetched_per_item(api: Api, blob_store: Azurite) -> None:
    container = f"c{uuid.uuid4().hex[:12]}"
    client = blob_store.service().create_container(container)
    client.upload_blob("docs/a.txt", b"from azure")
    client.upload_blob("docs/b.txt", b"also from azure")
    sources = {
        "a": {"input.txt": {"container": container, "filePath": "docs/a.txt"}},
        "b": {"input.txt": {"container": container, "filePath": "/docs/b.txt"}},
    }
    response = _submit(api, blob_store, sources)
    assert response.status_code == 200, response.text
    job = api.wait(response.json()["jobIdentifier"])
    results = api.get(f"/results/{job['jobIdentifier']}").json()["results"]
    assert results["a"]["results.json"] == {"text": "from azure"}
    assert results["b"]["results.json"] == {"text": "also from azure"}
    single = _submit(
        api, blob_store, {"input.txt": {"container": container, "filePath": "docs/a.txt"}}
    )
    job = api.wait(single.json()["jobIdentifier"])
    assert "job" in api.get(f"/results/{job['jobIdentifier']}").json()["results"]


def test_bad_key_and_missing_blobs_get_a_400(api: Api, blob_store: Azurite) -> None:
    container = f"c{uuid.uuid4().hex[:12]}"
    blob_store.service().create_container(container).upload_blob("x.txt", b"x")
    ok = {"a": {"input.txt": {"container": container, "filePath": "x.txt"}}}
    wrong_key = "d3Jvbmcta2V5LW5vdC10aGUtcmVhbC1vbmU="
    refused = _submit(api, blob_store, ok, key=wrong_key)
    assert refused.status_code == 400 and "refused" in refused.json()["message"]
    assert wrong_key not in refused.text
    missing = _submit(
        api, blob_store, {"a": {"input.txt": {"container": container, "filePath": "nope.txt"}}}
    )
    assert missing.status_code == 400 and "does not exist" in missing.json()["message"]
