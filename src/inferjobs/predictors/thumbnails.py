"""Small PNG thumbnails of input images (for image classification models)."""

from __future__ import annotations

import io
import warnings

from inferjobs.errors import ItemError

MAX_PIXELS = 40_000_000  # refuse decompression bombs
SIZE = (128, 128)


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
    image = open_image(data)
    thumb = image.convert("RGB")  # type: ignore[attr-defined]
    thumb.thumbnail(SIZE)
    out = io.BytesIO()
    thumb.save(out, format="PNG", optimize=True)
    return out.getvalue()
