"""Reading a job's `input` object: required string fields, with errors naming them."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from inferjobs.errors import BadRequest


def text(payload: Mapping[str, Any], name: str, *, required: bool = True) -> str:
    value = payload.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise BadRequest(f"input.{name}: expected a non-empty string")
    return value.strip()


def endpoint(payload: Mapping[str, Any], name: str = "endpoint") -> tuple[str, str, int] | None:
    """An optional http(s) endpoint URL: (url, host, port)."""
    url = text(payload, name, required=False)
    if not url:
        return None
    parts = urlsplit(url if "://" in url else f"https://{url}")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadRequest(f"input.{name}: expected an http(s) URL such as https://s3.example.com")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BadRequest(f"input.{name}: the port is not a number") from None
    return parts.geturl(), parts.hostname, port
