"""Images (.png .jpg .jpeg .bmp .tif .tiff .webp) through OCR: one page per frame (multi-page TIFF), sizes checked
from the header before anything is decoded."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.errors import SkipFile
from ragkit.ingest.page import Page
from ragkit.ingest.scan import ocr_pages

if TYPE_CHECKING:
    import numpy as np
    from PIL import Image

MAX_PIXELS = 100_000_000
"""Largest image (width x height, per frame) decoded; a larger one is skipped as a possible decompression bomb."""
MAX_FRAMES = 1000
"""Frames (TIFF pages) read from one image file at most."""
MAX_SIDE = 4000
"""Longer side an image is shrunk to before OCR (rapidocr works at 2,000 pixels at most)."""


def load_image(path: Path) -> list[Page]:
    """The OCR'd text of each frame; SkipFile when the image is corrupt, truncated, too large or not an image."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:  # reads the header only
            frames = min(getattr(image, "n_frames", 1), MAX_FRAMES)
            _check_size(image)
    except Image.DecompressionBombError as exc:
        raise SkipFile(f"image is larger than the {MAX_PIXELS:,}-pixel limit (a possible decompression bomb; "
                       f"{exc})") from exc
    except (UnidentifiedImageError, ValueError, EOFError, SyntaxError) as exc:
        raise SkipFile(f"corrupt or unsupported image ({type(exc).__name__}: {exc})") from exc
    numbered = [(n, f"page {n}" if frames > 1 else "") for n in range(1, frames + 1)]
    pages = list(ocr_pages(path, numbered, lambda n: _frame(path, n), "image"))
    if not any(page.text.strip() for page in pages):
        raise SkipFile("no text found by OCR")
    return pages


def _check_size(image: Image.Image) -> None:
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise SkipFile(f"image of {width:,} x {height:,} pixels is larger than the {MAX_PIXELS:,}-pixel limit "
                       "(a possible decompression bomb)")


def _frame(path: Path, number: int) -> np.ndarray:
    """Frame `number` (1-based) as an RGB array on white, shrunk to MAX_SIDE; SkipFile when it cannot be decoded."""
    import numpy as np
    from PIL import Image

    try:
        with Image.open(path) as image:
            image.seek(number - 1)
            _check_size(image)
            image.draft("RGB", (MAX_SIDE, MAX_SIDE))  # JPEG: decode at a reduced scale directly
            frame = image.convert("RGBA")
    except (OSError, ValueError, EOFError, SyntaxError, Image.DecompressionBombError) as exc:
        raise SkipFile(f"corrupt or truncated image ({type(exc).__name__}: {exc})") from exc
    frame.thumbnail((MAX_SIDE, MAX_SIDE))
    page = Image.new("RGB", frame.size, "white")
    page.paste(frame, mask=frame.getchannel("A"))
    return np.asarray(page)
