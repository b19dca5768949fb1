"""S3 and S3-compatible object stores (aws-s3, aws-s3-folder, storage-grid)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from inferjobs.errors import BadRequest, ItemError
from inferjobs.sources import fields
from inferjobs.sources.network import HostPolicy

_AUTH_CODES = {"InvalidAccessKeyId", "SignatureDoesNotMatch", "AccessDenied", "Forbidden", "403"}


def settings(
    payload: Mapping[str, Any], kind: str, policy: HostPolicy, default_endpoint: str = ""
) -> dict[str, Any]:
    """The source settings to seal with the job: credentials, region, endpoint."""
    found = fields.endpoint(payload)
    if found is None and default_endpoint and kind != "storage-grid":
        found = fields.endpoint({"endpoint": default_endpoint})
    if kind == "storage-grid" and found is None:
        raise BadRequest("input.endpoint: storage-grid needs the StorageGRID endpoint URL")
    if found is not None:
        policy.check(found[1], found[2], "input.endpoint")
    return {
        "type": kind,
        "accessKeyID": fields.text(payload, "accessKeyID"),
        "secretAccessKey": fields.text(payload, "secretAccessKey"),
        "region": fields.text(payload, "region", required=kind != "storage-grid") or "us-east-1",
        "endpoint": found[0] if found else None,
    }


def object_ref(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise BadRequest(f'{where}: expected {{"bucket": ..., "key": ...}}')
    bucket, key = value.get("bucket"), value.get("key")
    if not isinstance(bucket, str) or not bucket or not isinstance(key, str) or not key:
        raise BadRequest(f"{where}: expected non-empty 'bucket' and 'key' strings")
    return {"bucket": bucket, "key": key.lstrip("/")}


class S3Store:
    """One job's S3 client; errors are turned into messages without secrets."""

    def __init__(self, config: Mapping[str, Any], timeout_s: float = 10) -> None:
        import boto3
        from botocore.config import Config

        self.client = boto3.client(
            "s3",
            endpoint_url=config.get("endpoint"),
            region_name=config.get("region") or "us-east-1",
            aws_access_key_id=config["accessKeyID"],
            aws_secret_access_key=config["secretAccessKey"],
            config=Config(
                s3={"addressing_style": "path"},
                connect_timeout=timeout_s,
                read_timeout=max(timeout_s, 30),
                retries={"max_attempts": 2},
            ),
        )

    def get(self, ref: Mapping[str, str], limit: int) -> bytes:
        where = f"s3://{ref['bucket']}/{ref['key']}"
        response = self._call(where, self.client.get_object, Bucket=ref["bucket"], Key=ref["key"])
        size = int(response.get("ContentLength", 0))
        if size > limit:
            raise ItemError(f"{where} has {size} bytes, over the input's maximum of {limit}")
        data: bytes = response["Body"].read(limit + 1)
        return data

    def size(self, ref: Mapping[str, str]) -> int:
        where = f"s3://{ref['bucket']}/{ref['key']}"
        try:
            head = self._call(where, self.client.head_object, Bucket=ref["bucket"], Key=ref["key"])
        except ItemError:
            # HEAD answers have no error body: ask about the bucket to say which is missing
            self._call(f"s3://{ref['bucket']}", self.client.head_bucket, Bucket=ref["bucket"])
            raise
        return int(head.get("ContentLength", 0))

    def list_page(self, bucket: str, prefix: str, after: str, limit: int) -> tuple[list[str], bool]:
        """Up to `limit` keys under `prefix` that sort after `prefix + after`, in key order,
        and whether more follow. Resuming from a key needs no server-side state."""
        args: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix, "MaxKeys": limit}
        if after:
            args["StartAfter"] = prefix + after
        page = self._call(f"s3://{bucket}/{prefix}", self.client.list_objects_v2, **args)
        keys = [o["Key"] for o in page.get("Contents", []) if not o["Key"].endswith("/")]
        return keys, bool(page.get("IsTruncated"))

    def _call(self, where: str, method: Any, **args: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return method(**args)
        except ClientError as exc:
            raise ItemError(_client_error(where, exc.response)) from None
        except BotoCoreError as exc:
            raise ItemError(
                f"{where}: the S3 endpoint cannot be reached ({type(exc).__name__})"
            ) from None


def _client_error(where: str, response: Mapping[str, Any]) -> str:
    code = str(response.get("Error", {}).get("Code", ""))
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _AUTH_CODES or status == 403:
        return f"{where}: the S3 server refused the credentials ({code or status})"
    if code == "NoSuchBucket" or (status == 404 and "/" not in where.removeprefix("s3://")):
        return f"{where}: the bucket does not exist"
    if code in ("NoSuchKey", "404", "NotFound") or status == 404:
        return f"{where}: the object does not exist"
    return f"{where}: the S3 server answered {code or status}"
