"""PowerPoint .pptx through python-pptx: one page per slide with its text frames and speaker notes, and a page per
table (chunked by rows under its header and the slide's title), labelled "slide N, table K"."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.ingest.formats.office import office_file, table_or_line
from ragkit.ingest.page import Page
from ragkit.ingest.table import Table

if TYPE_CHECKING:
    from pptx.shapes.base import BaseShape


def load_pptx(path: Path) -> list[Page]:
    """Each slide's text in shape order, grouped shapes included, then its notes; page is the slide number."""
    from pptx import Presentation
    from pptx.exc import PackageNotFoundError

    with office_file(path, "PowerPoint", PackageNotFoundError):
        pages = []
        for number, slide in enumerate(Presentation(str(path)).slides, start=1):
            title = slide.shapes.title.text_frame.text.strip() if slide.shapes.title is not None else ""
            blocks: list[str] = []
            tables: list[Table] = []
            for block in _shape_texts(slide.shapes):
                found = block if isinstance(block, str) else table_or_line(block, title)
                if isinstance(found, str):
                    blocks.append(found)
                else:
                    tables.append(found)
            if slide.has_notes_slide and slide.notes_slide.notes_text_frame is not None:
                blocks.append(slide.notes_slide.notes_text_frame.text)
            text = "\n\n".join(block.strip() for block in blocks if block.strip())
            pages.append(Page(text, number, f"slide {number}"))
            pages += [Page(table.text(), number, f"slide {number}, table {k}", table=table)
                      for k, table in enumerate(tables, start=1)]
    return pages


def _shape_texts(shapes: Iterable[BaseShape]) -> Iterator[str | list[list[str]]]:
    """Text of each shape, or a table's cell texts by row, depth first through groups (an explicit stack: crafted
    files may nest deeply)."""
    from pptx.shapes.group import GroupShape

    stack = list(reversed(list(shapes)))
    while stack:
        shape = stack.pop()
        if isinstance(shape, GroupShape):
            stack.extend(reversed(list(shape.shapes)))
        elif shape.has_text_frame:
            yield shape.text_frame.text  # type: ignore[attr-defined]
        elif shape.has_table:
            yield [[c.text for c in row.cells if not c.is_spanned] for row in shape.table.rows]  # type: ignore[attr-defined]
