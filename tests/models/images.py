"""Render held-out digits of the scikit-learn data set as real image files."""

from __future__ import annotations

import io

import numpy as np
from PIL import Image


def digit_png(pixels: np.ndarray, size: int = 32, fmt: str = "PNG") -> bytes:
    """Dark ink on a light background, scaled up, as a person would draw it."""
    grey = (255 - pixels.reshape(8, 8) * 255 / 16).astype(np.uint8)
    image = Image.fromarray(grey).resize((size, size), Image.Resampling.NEAREST)
    out = io.BytesIO()
    image.convert("RGB" if fmt == "JPEG" else "L").save(out, format=fmt)
    return out.getvalue()
