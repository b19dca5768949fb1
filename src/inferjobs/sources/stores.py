"""Open the object store a job's sealed settings describe."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inferjobs.sources.azure import AzureStore
from inferjobs.sources.s3 import S3Store


def open_store(config: Mapping[str, Any], timeout_s: float = 10) -> S3Store | AzureStore:
    if config["type"] == "azureblob":
        return AzureStore(config, timeout_s)
    return S3Store(config, timeout_s)
