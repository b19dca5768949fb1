"""Azure Blob Storage (azureblob): container + file path, storage account + key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inferjobs.errors import BadRequest, ItemError
from inferjobs.sources import fields
from inferjobs.sources.network import HostPolicy


def settings(
    payload: Mapping[str, Any], policy: HostPolicy, default_endpoint: str = ""
) -> dict[str, Any]:
    account = fields.text(payload, "storageAccount")
    found = fields.endpoint(payload)
    if found is None and default_endpoint:
        found = fields.endpoint({"endpoint": default_endpoint.replace("{account}", account)})
    url, host, port = found or (
        f"https://{account}.blob.core.windows.net",
        f"{account}.blob.core.windows.net",
        443,
    )
    policy.check(host, port, "input.endpoint" if found else "input.storageAccount")
    return {
        "type": "azureblob",
        "storageAccount": account,
        "storageAccountKey": fields.text(payload, "storageAccountKey"),
        "endpoint": url,
    }


def blob_ref(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise BadRequest(f'{where}: expected {{"container": ..., "filePath": ...}}')
    container, path = value.get("container"), value.get("filePath")
    if not isinstance(container, str) or not container or not isinstance(path, str) or not path:
        raise BadRequest(f"{where}: expected non-empty 'container' and 'filePath' strings")
    return {"container": container, "filePath": path.lstrip("/")}


class AzureStore:
    def __init__(self, config: Mapping[str, Any], timeout_s: float = 10) -> None:
        from azure.storage.blob import BlobServiceClient

        self.service = BlobServiceClient(
            account_url=config["endpoint"],
            credential={
                "account_name": config["storageAccount"],
                "account_key": config["storageAccountKey"],
            },
            connection_timeout=timeout_s,
            read_timeout=max(timeout_s, 30),
            retry_total=1,
        )

    def get(self, ref: Mapping[str, str], limit: int) -> bytes:
        blob = self.service.get_blob_client(ref["container"], ref["filePath"])
        where = f"azure://{ref['container']}/{ref['filePath']}"
        size = self._call(where, lambda: blob.get_blob_properties().size)
        if size > limit:
            raise ItemError(f"{where} has {size} bytes, over the input's maximum of {limit}")
        data: bytes = self._call(where, lambda: blob.download_blob().readall())
        return data

    def size(self, ref: Mapping[str, str]) -> int:
        blob = self.service.get_blob_client(ref["container"], ref["filePath"])
        where = f"azure://{ref['container']}/{ref['filePath']}"
        return int(self._call(where, lambda: blob.get_blob_properties().size))

    @staticmethod
    def _call(where: str, action: Any) -> Any:
        from azure.core.exceptions import (
            AzureError,
            ClientAuthenticationError,
            ResourceNotFoundError,
        )

        try:
            return action()
        except ClientAuthenticationError:
            raise ItemError(f"{where}: Azure refused the storage account key") from None
        except ResourceNotFoundError as exc:
            what = "container" if "Container" in str(getattr(exc, "error_code", "")) else "blob"
            raise ItemError(f"{where}: the {what} does not exist") from None
        except AzureError as exc:
            if getattr(exc, "status_code", None) == 403:
                raise ItemError(f"{where}: Azure refused the storage account key") from None
            raise ItemError(
                f"{where}: Azure Blob Storage cannot be reached or answered an "
                f"error ({type(exc).__name__})"
            ) from None
