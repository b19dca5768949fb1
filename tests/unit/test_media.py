from __future__ import annotations

import base64

import pytest

from inferjobs.domain import media
from inferjobs.errors import BadRequest


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"\x89PNG\r\n\x1a\n....", "image/png"),
        (b"\xff\xd8\xff\xe0....", "image/jpeg"),
        (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wav"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"),
        (b"BM\x36\x00\x0c\x00\x00\x00\x00\x00\x36\x00", "image/bmp"),
        (b"BMW and BMI are acronyms.", "text/plain"),
        (b"ID3 tags name songs", "text/plain"),
        (b'{"a": 1}', "application/json"),
        ("héllo".encode(), "text/plain"),
        (b"\xff\xfe\x00\x81", "application/octet-stream"),
    ],
)
def test_detect(data: bytes, expected: str) -> None:
    assert media.detect(data) == expected


def test_accepts_wildcards_and_lists() -> None:
    assert media.accepts(("image/*",), "image/png")
    assert media.accepts(("image/png", "image/jpeg"), "image/jpeg; q=1")
    assert media.accepts(("*/*",), "application/pdf")
    assert not media.accepts(("image/*",), "text/plain")
    assert media.accepts(("text/plain",), "application/json")


def test_decode_embedded_data_uri_and_bare_base64() -> None:
    raw = b"\x89PNG\r\n"
    encoded = base64.b64encode(raw).decode()
    assert media.decode_embedded(f"data:image/png;base64,{encoded}", "w") == (raw, "image/png")
    assert media.decode_embedded(f"data:application/octet-stream;base64,{encoded}", "w") == (
        raw,
        None,
    )
    assert media.decode_embedded(encoded, "w") == (raw, None)
    wrapped = "\n".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))
    assert media.decode_embedded(wrapped, "w") == (raw, None)


@pytest.mark.parametrize("value", ["data:image/png;base64,***", "not base64!", "data:nonsense"])
def test_decode_embedded_rejects_garbage_naming_the_place(value: str) -> None:
    with pytest.raises(BadRequest, match="item 'x'"):
        media.decode_embedded(value, "item 'x'")
