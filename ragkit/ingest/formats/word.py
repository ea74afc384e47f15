"""Word .docx through python-docx: the paragraphs as one page, each table as a page of its own (a table chunked by
rows under its header and the paragraph before it), labelled "table N"."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.ingest.formats.office import office_file, table_or_line
from ragkit.ingest.page import Page

if TYPE_CHECKING:
    from docx.table import _Row


def load_docx(path: Path) -> list[Page]:
    """Paragraphs separated by blank lines, then the tables (a one-row table stays a line of the text)."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError
    from docx.table import Table

    with office_file(path, "Word", PackageNotFoundError):
        blocks: list[str] = []
        tables: list[Page] = []
        for block in docx.Document(str(path)).iter_inner_content():
            if not isinstance(block, Table):
                blocks.append(block.text.strip())
                continue
            table = table_or_line([_unique_cells(row) for row in block.rows], next((b for b in reversed(blocks) if b), ""))
            if isinstance(table, str):
                blocks.append(table)
            else:
                tables.append(Page(table.text(), 1, f"table {len(tables) + 1}", table=table))
    return [Page("\n\n".join(block for block in blocks if block)), *tables]


def _unique_cells(row: _Row) -> list[str]:
    """Cell texts of a row; python-docx repeats a merged cell's object for each grid column it spans: once here."""
    cells = row.cells
    return [cell.text for i, cell in enumerate(cells) if i == 0 or cell is not cells[i - 1]]
