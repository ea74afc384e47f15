"""A loaded part of a file: its text and where it sits, so a citation can name the page, sheet or slide."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ragkit.ingest.table import Table


@dataclass(frozen=True)
class Page:
    """Text of one part of a file: a PDF page, a sheet or a slide (page 1 and no label for one-part formats)."""

    text: str
    page: int = 1
    """1-based position of the part: page number, sheet index or slide number."""
    label: str = ""
    """How a citation names the part, e.g. "page 3", "sheet Budget", "slide 2"; empty for one-part formats."""
    ocr: Literal["", "ran", "cached"] = ""
    """Whether the text came from OCR of the page's image: "ran" now, or "cached" from an earlier run."""
    ocr_seconds: float = 0.0
    """Seconds spent rendering and OCR'ing the page in this run."""
    table: Table | None = None
    """The table the text is made of (text is then table.text()): split by rows, its header in every chunk."""
