"""How a file output (bytes from a model) is kept: small ones inline in the result row,
larger ones in the blob store. Either way the client reads it from the raw output route."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from inferjobs.storage.blobs import LocalBlobStore

INLINE_LIMIT = 16 * 1024  # bytes; a thumbnail or a small heat map stays in the database


def stored(data: bytes, media_type: str, put_blob: Callable[[bytes], str]) -> dict[str, str]:
    """The JSON kept for a file output; `put_blob` stores the bytes and returns their key."""
    if len(data) <= INLINE_LIMIT:
        return {"$bytes": base64.b64encode(data).decode("ascii"), "mediaType": media_type}
    return {"$blob": put_blob(data), "mediaType": media_type}


def may_hold_files(stored_json: str) -> bool:
    """False when outputs kept as this JSON text surely hold no file (a cheap text test)."""
    return '"$blob"' in stored_json or '"$bytes"' in stored_json


def is_file(value: Any) -> bool:
    return isinstance(value, dict) and ("$blob" in value or "$bytes" in value)


def content(value: dict[str, Any], blobs: LocalBlobStore) -> tuple[bytes, str]:
    """The bytes and media type of a file output."""
    media_type = str(value.get("mediaType", "application/octet-stream"))
    if "$bytes" in value:
        return base64.b64decode(value["$bytes"]), media_type
    return blobs.get(value["$blob"]), media_type
