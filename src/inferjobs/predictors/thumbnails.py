"""Small PNG thumbnails of input images (for image classification models)."""

from __future__ import annotations

import io
import struct
import warnings

from inferjobs.errors import ItemError

MAX_PIXELS = 40_000_000  # refuse decompression bombs
SIZE = (128, 128)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
SMALL_PNG_BYTES = 16 * 1024


def open_image(data: bytes) -> object:
    """Open an image with Pillow, refusing decompression bombs and unreadable data."""
    from PIL import Image

    Image.MAX_IMAGE_PIXELS = MAX_PIXELS
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ItemError(f"the image is over the limit of {MAX_PIXELS} pixels") from None
    except Exception as exc:
        raise ItemError(f"the input is not a readable image: {exc}") from None
    return image


def make(data: bytes) -> bytes:
    """A PNG of at most SIZE; a PNG input that is already that small is its own thumbnail."""
    if _small_png(data):
        return data
    image = open_image(data)
    thumb = image.convert("RGB")  # type: ignore[attr-defined]
    thumb.thumbnail(SIZE)
    out = io.BytesIO()
    thumb.save(out, format="PNG")
    return out.getvalue()


def _small_png(data: bytes) -> bool:
    if len(data) > SMALL_PNG_BYTES or not data.startswith(PNG_SIGNATURE) or len(data) < 24:
        return False
    width, height = struct.unpack(">II", data[16:24])  # the IHDR chunk comes first
    return bool(0 < width <= SIZE[0] and 0 < height <= SIZE[1])
