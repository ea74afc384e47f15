"""PowerPoint .pptx through python-pptx: one page per slide with its text frames, tables and speaker notes."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.ingest.formats.office import office_file, table_line
from ragkit.ingest.page import Page

if TYPE_CHECKING:
    from pptx.shapes.base import BaseShape


def load_pptx(path: Path) -> list[Page]:
    """Each slide's text in shape order, grouped shapes included, then its notes; page is the slide number."""
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    with office_file(path, "PowerPoint", PackageNotFoundError):
        pages = []
        for number, slide in enumerate(Presentation(str(path)).slides, start=1):
            blocks = list(_shape_texts(slide.shapes))
            if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
                blocks.append(slide.notes_slide.notes_text_frame.text)
            text = "\n\n".join(block.strip() for block in blocks if block.strip())
            pages.append(Page(text, number, f"slide {number}"))
    return pages


def _shape_texts(shapes: Iterable[BaseShape]) -> Iterator[str]:
    """Text of each shape, depth first through groups (an explicit stack: crafted files may nest deeply)."""
    from pptx.shapes.group import GroupShape

    stack = list(reversed(list(shapes)))
    while stack:
        shape = stack.pop()
        if isinstance(shape, GroupShape):
            stack.extend(reversed(list(shape.shapes)))
        elif shape.has_text_frame:
            yield shape.text_frame.text  # type: ignore[attr-defined]
        elif shape.has_table:
            rows = (table_line(c.text for c in row.cells if not c.is_spanned) for row in shape.table.rows)  # type: ignore[attr-defined]
            yield "\n".join(row for row in rows if row)
