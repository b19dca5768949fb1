"""Encrypt a job's source settings (with its credentials) at rest with the server's key."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken

from inferjobs.errors import ConfigError, InferJobsError


class SecretBox:
    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except ValueError:
            raise ConfigError(
                "sources.secret_key is not a valid Fernet key (32 url-safe base64-encoded bytes)"
            ) from None

    @classmethod
    def from_settings(cls, configured: str, key_file: Path) -> SecretBox:
        """The configured key; else a key kept in the data directory (created once, 0600)."""
        if configured:
            return cls(configured.encode())
        if not key_file.exists():
            key_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = key_file.with_name(f".{key_file.name}.{os.getpid()}")
            descriptor = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(Fernet.generate_key())
            try:
                os.link(tmp, key_file)  # atomic; a process that loses the race reads the winner's
            except FileExistsError:
                pass
            finally:
                tmp.unlink()
        return cls(key_file.read_bytes().strip())

    def seal(self, value: dict[str, Any]) -> bytes:
        return self._fernet.encrypt(json.dumps(value).encode())

    def open(self, token: bytes) -> dict[str, Any]:
        try:
            opened: dict[str, Any] = json.loads(self._fernet.decrypt(token))
        except InvalidToken:
            raise InferJobsError(
                "a job's source settings cannot be decrypted with this "
                "server's key (INFERJOBS_SOURCES__SECRET_KEY differs?)"
            ) from None
        return opened
