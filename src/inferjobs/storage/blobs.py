"""The blob store: large inputs, upload chunks and file outputs, addressed by key."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from pathlib import Path

from inferjobs.errors import InferJobsError

_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


class BlobError(InferJobsError):
    """The blob store could not read or write a blob (e.g. a full disk): retry later."""

    status_code = 503
    code = "BLOB_STORE_UNAVAILABLE"
    retry_after = 30


class LocalBlobStore:
    """Blobs as files below one directory; writes are atomic (temp file + rename)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def put(self, key: str, data: bytes) -> None:
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
        try:
            tmp.write_bytes(data)
            os.replace(tmp, path)
        except OSError as exc:
            tmp.unlink(missing_ok=True)
            raise BlobError(f"could not store blob {key}: {exc.strerror}") from exc

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except OSError as exc:
            raise BlobError(f"could not read blob {key}: {exc.strerror}") from exc

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        """Delete every blob below `prefix` (best effort: a missing blob is no error)."""
        shutil.rmtree(self._path(prefix), ignore_errors=True)

    def _path(self, key: str) -> Path:
        if not _SAFE_KEY.match(key) or ".." in key.split("/"):
            raise BlobError(f"invalid blob key {key!r}")
        return self.root / key
