"""Scans made from known text, to measure OCR and test scanned documents: text laid out on A4 page images in a
given font and size, optionally degraded like a scan or photo (noise, blur, skew), saved as image-only PDFs."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

CJK_FONT = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
"""WenQuanYi Micro Hei (Debian's fonts-wqy-microhei): Chinese and Latin glyphs."""
A4_MM = (210, 297)


@dataclass(frozen=True)
class Look:
    """How a page is printed and scanned."""

    font: Path = CJK_FONT
    font_index: int = 0
    """Face inside a .ttc collection."""
    points: float = 12.0
    """Font size in typographic points (at `dpi`, points * dpi / 72 pixels)."""
    dpi: int = 200
    """Resolution of the page image."""
    noise: float = 0.0
    """Standard deviation of Gaussian noise added to each pixel (0-255 scale)."""
    blur: float = 0.0
    """Radius of a Gaussian blur in pixels."""
    skew: float = 0.0
    """Degrees the page is turned counter-clockwise (a crooked scan)."""
    turn: int = 0
    """Quarter turns counter-clockwise (0, 90, 180, 270): a page scanned sideways or upside down."""


def wrap(text: str, font: object, width: float) -> list[str]:
    """Lines of text no wider than width: Chinese wrapped between characters, other text between words."""
    lines: list[str] = []
    for paragraph in text.splitlines():
        line = ""
        for piece in _pieces(paragraph):
            if line and font.getlength(line + piece) > width:  # type: ignore[attr-defined]
                lines.append(line.rstrip())
                line = piece.lstrip()
            else:
                line += piece
        lines.append(line.rstrip())
    return lines


def _pieces(paragraph: str) -> Iterable[str]:
    """Words with their trailing space, and each CJK character on its own."""
    word = ""
    for ch in paragraph:
        if "\u2e80" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef" or "\u3000" <= ch <= "\u303f":
            if word:
                yield word
                word = ""
            yield ch
        else:
            word += ch
            if ch == " ":
                yield word
                word = ""
    if word:
        yield word


def render_pages(text: str, look: Look = Look(), margin_mm: float = 20,
                 size_mm: tuple[float, float] = A4_MM) -> list[Image.Image]:
    """Page images (greyscale, A4 unless size_mm) of text at look's font, size and resolution, as many as it needs."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(str(look.font), round(look.points * look.dpi / 72), index=look.font_index)
    width, height = (round(mm / 25.4 * look.dpi) for mm in size_mm)
    margin = round(margin_mm / 25.4 * look.dpi)
    leading = round(look.points * 1.6 * look.dpi / 72)
    lines = wrap(text, font, width - 2 * margin)
    per_page = max(1, (height - 2 * margin) // leading)
    pages = []
    for first in range(0, max(len(lines), 1), per_page):
        page = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(page)
        for row, line in enumerate(lines[first:first + per_page]):
            draw.text((margin, margin + row * leading), line, font=font, fill=0)
        pages.append(degrade(page, look))
    return pages


def degrade(page: Image.Image, look: Look) -> Image.Image:
    """The page after a scanner's skew, blur and noise, and the quarter turns of look."""
    import numpy as np
    from PIL import Image, ImageFilter

    if look.skew:
        page = page.rotate(look.skew, resample=Image.Resampling.BICUBIC, expand=True, fillcolor=255)
    if look.blur:
        page = page.filter(ImageFilter.GaussianBlur(look.blur))
    if look.noise:
        pixels = np.asarray(page, dtype=np.float32)
        noisy = pixels + np.random.default_rng(0).normal(0, look.noise, pixels.shape)
        page = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
    return page.rotate(look.turn, expand=True) if look.turn else page


def save_pdf(pages: Sequence[Image.Image], path: Path, dpi: int) -> Path:
    """An image-only PDF (no text layer) of the pages, each the size of the image at dpi."""
    first, *rest = pages
    first.save(path, "PDF", resolution=dpi, save_all=True, append_images=rest)
    return path
