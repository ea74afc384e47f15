"""A table read from a file (a sheet, a CSV, a Word, PowerPoint or PDF table) as Markdown, so that the splitter can
cut it by rows and repeat its header in every chunk, and a citation can name the rows."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Table:
    """A header row and numbered data rows; `title` (a sheet name, a caption) heads every chunk of it."""

    header: tuple[str, ...]
    rows: tuple[tuple[int, tuple[str, ...]], ...]
    """(row number in the source - the sheet's row, or the table's with the header as row 1 - and cells)."""
    title: str = ""

    def head(self) -> str:
        """The title line (if any), the header row and the Markdown separator row."""
        lines = [self.title] if self.title else []
        lines += [_row(self.header), "|" + " --- |" * len(self.header)]
        return "\n".join(lines)

    def line(self, index: int) -> str:
        """Data row `index` (0-based) as a Markdown row, padded to the header's width."""
        cells = self.rows[index][1]
        return _row(tuple(cells) + ("",) * (len(self.header) - len(cells)))

    def text(self) -> str:
        """The whole table in Markdown."""
        return "\n".join([self.head(), *(self.line(i) for i in range(len(self.rows)))])


def table_from_rows(rows: Iterable[tuple[int, Sequence[str]]], title: str = "") -> Table | None:
    """A Table from numbered rows of cell texts: the first non-empty row is the header, empty rows are dropped,
    trailing empty columns trimmed; None when there are no data rows."""
    kept = [(number, [" ".join(c.split()) for c in cells]) for number, cells in rows]
    kept = [(number, cells) for number, cells in kept if any(cells)]
    if len(kept) < 2:
        return None
    width = max(max((i + 1 for i, c in enumerate(cells) if c), default=0) for _, cells in kept)
    (_, header), *data = [(number, tuple(cells[:width])) for number, cells in kept]
    return Table(tuple(header) + ("",) * (width - len(header)), tuple(data), title)


def _row(cells: tuple[str, ...]) -> str:
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
