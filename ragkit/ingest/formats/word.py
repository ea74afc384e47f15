"""Word .docx through python-docx: paragraphs and tables in document order, as one page."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.ingest.formats.office import office_file, table_line
from ragkit.ingest.page import Page

if TYPE_CHECKING:
    from docx.table import _Row


def load_docx(path: Path) -> list[Page]:
    """Paragraphs separated by blank lines; each table row one line of cells joined by ' | '."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    with office_file(path, "Word", PackageNotFoundError):
        blocks = []
        for block in docx.Document(str(path)).iter_inner_content():
            if isinstance(block, Table):
                rows = (table_line(_unique_cells(row)) for row in block.rows)
                blocks.append("\n".join(row for row in rows if row))
            else:
                blocks.append(block.text.strip())
    return [Page("\n\n".join(block for block in blocks if block))]


def _unique_cells(row: _Row) -> list[str]:
    """Cell texts of a row; python-docx repeats a merged cell's object for each grid column it spans: once here."""
    cells = row.cells
    return [cell.text for i, cell in enumerate(cells) if i == 0 or cell is not cells[i - 1]]
