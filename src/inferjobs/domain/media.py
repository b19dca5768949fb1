"""Media types: detect from bytes, match against an input's accepted types, parse data URIs."""

from __future__ import annotations

import base64
import binascii
import re

from inferjobs.errors import BadRequest

OCTET_STREAM = "application/octet-stream"
# Signatures that no UTF-8 text starts with (they hold bytes that are not valid or not text).
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"II*\x00", "image/tiff"),
    (b"MM\x00*", "image/tiff"),
    (b"PK\x03\x04", "application/zip"),
    (b"\x1f\x8b", "application/gzip"),
)
# Signatures made of letters: they count only when the data is not plain text.
_WEAK_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"BM", "image/bmp"),
    (b"%PDF-", "application/pdf"),
    (b"ID3", "audio/mpeg"),
    (b"OggS", "audio/ogg"),
    (b"fLaC", "audio/flac"),
)
_DATA_URI = re.compile(r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)?(?P<params>(;[\w-]+=[^;,]*)*);base64,")


def detect(data: bytes) -> str:
    """The media type of `data` from its first bytes; UTF-8 text is text/plain."""
    for magic, mime in _MAGIC:
        if data.startswith(magic):
            return mime
    if data[:4] == b"RIFF" and data[8:12] in (b"WAVE", b"WEBP"):
        return "audio/wav" if data[8:12] == b"WAVE" else "image/webp"
    if _is_text(data):
        return "application/json" if data.lstrip()[:1] in (b"{", b"[") else "text/plain"
    for magic, mime in _WEAK_MAGIC:
        if data.startswith(magic):
            return mime
    return OCTET_STREAM


def _is_text(data: bytes) -> bool:
    """Valid UTF-8 without NUL bytes (binary formats are full of them)."""
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def accepts(accepted: tuple[str, ...], media_type: str) -> bool:
    """Whether `media_type` matches one of `accepted` (wildcards like image/* allowed)."""
    kind = media_type.split(";")[0].strip().lower()
    for pattern in accepted:
        pattern = pattern.strip().lower()
        if pattern in ("*/*", kind):
            return True
        if pattern.endswith("/*") and kind.startswith(pattern[:-1]):
            return True
        if pattern == "text/plain" and kind == "application/json":
            return True
    return False


def decode_embedded(value: str, where: str) -> tuple[bytes, str | None]:
    """Decode a data URI (or bare base64) into bytes and the declared media type.

    A declared `application/octet-stream` is returned as None: "unknown, detect it".
    """
    match = _DATA_URI.match(value)
    payload = "".join((value[match.end() :] if match else value).split())
    declared = match.group("mime") if match else None
    if not match and value.startswith("data:"):
        raise BadRequest(f"{where}: expected a data URI like 'data:<type>;base64,<data>'")
    try:
        data = base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"{where}: the value is not valid base64") from None
    if declared and declared.lower() == OCTET_STREAM:
        declared = None
    return data, declared
