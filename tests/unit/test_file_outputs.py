"""Thumbnails of input images, and where a file output is kept (inline or in the blob store)."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image

from inferjobs.predictors import thumbnails
from inferjobs.storage import outputs
from inferjobs.storage.blobs import LocalBlobStore


def _image(size: tuple[int, int], kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(out, format=kind)
    return out.getvalue()


def test_a_small_png_is_its_own_thumbnail() -> None:
    png = _image((32, 32), "PNG")
    assert thumbnails.make(png) == png


def test_a_large_image_is_reduced_to_a_png_of_at_most_128_pixels() -> None:
    thumb = Image.open(io.BytesIO(thumbnails.make(_image((640, 320), "PNG"))))
    assert thumb.format == "PNG" and thumb.size == (128, 64)


def test_a_small_jpeg_becomes_a_png() -> None:
    thumb = Image.open(io.BytesIO(thumbnails.make(_image((32, 32), "JPEG"))))
    assert thumb.format == "PNG" and thumb.size == (32, 32)


def test_small_outputs_stay_inline_and_large_ones_go_to_the_blob_store(tmp_path: Path) -> None:
    blobs = LocalBlobStore(tmp_path)
    keys: list[str] = []

    def put(data: bytes) -> str:
        keys.append(f"out/{len(keys)}")
        blobs.put(keys[-1], data)
        return keys[-1]

    small, large = b"\x00png" * 10, b"x" * (outputs.INLINE_LIMIT + 1)
    kept_small = outputs.stored(small, "image/png", put)
    kept_large = outputs.stored(large, "application/octet-stream", put)
    assert "$bytes" in kept_small and keys == ["out/0"]
    assert outputs.is_file(kept_small) and outputs.is_file(kept_large)
    assert not outputs.is_file({"data": 1})
    assert outputs.content(kept_small, blobs) == (small, "image/png")
    assert outputs.content(kept_large, blobs) == (large, "application/octet-stream")
