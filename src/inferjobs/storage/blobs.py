"""The blob store: large inputs, upload chunks and file outputs, addressed by key."""

from __future__ import annotations

import os
import re
import uuid
from pathlib import Path

from inferjobs.errors import InferJobsError

_SAFE_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]*$")


class BlobError(InferJobsError):
    """The blob store could not read or write a blob."""


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

    def delete_prefix(self, prefix: str) -> None:
        root = self._path(prefix)
        if not root.exists():
            return
        for path in sorted(root.rglob("*"), reverse=True):
            path.rmdir() if path.is_dir() else path.unlink(missing_ok=True)
        root.rmdir()

    def _path(self, key: str) -> Path:
        if not _SAFE_KEY.match(key) or ".." in key.split("/"):
            raise BlobError(f"invalid blob key {key!r}")
        return self.root / key
