"""Spreadsheets: .xlsx through openpyxl (one page per sheet) and .csv (one page), each a table (its first non-empty
row the header) that is chunked by rows with the header repeated; a sheet of one row is a line of text."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable
from pathlib import Path

from ragkit.errors import SkipFile
from ragkit.ingest.decode import decode_text
from ragkit.ingest.formats.office import office_file, table_line
from ragkit.ingest.page import Page
from ragkit.ingest.table import table_from_rows


def load_xlsx(path: Path) -> list[Page]:
    """Each worksheet's non-empty rows (cached values, not formulas); page is the sheet's 1-based position."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    with office_file(path, "Excel", InvalidFileException):
        book = load_workbook(str(path), read_only=True, data_only=True)
        try:
            return [_sheet_page(sheet.iter_rows(values_only=True), number, f"sheet {sheet.title}", sheet.title)
                    for number, sheet in enumerate(book.worksheets, start=1)]
        finally:
            book.close()


def load_csv(path: Path) -> list[Page]:
    """The rows of a CSV file in any encoding decode_text detects; the delimiter is sniffed (comma by default)."""
    text = decode_text(path.read_bytes())
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    try:
        return [_sheet_page(csv.reader(io.StringIO(text, newline=""), dialect), 1, "", path.stem)]
    except csv.Error as exc:
        raise SkipFile(f"corrupt CSV file ({exc})") from exc


def _sheet_page(rows: Iterable[Iterable[object]], number: int, label: str, title: str) -> Page:
    """A sheet as a table page, rows numbered as in the sheet; a single row as a line of cells joined by ' | '."""
    cells = [(n, [_cell_text(value) for value in row]) for n, row in enumerate(rows, start=1)]
    table = table_from_rows(cells, title)
    if table is None:
        lines = (table_line(row) for _, row in cells)
        return Page("\n".join(line for line in lines if line), number, label)
    return Page(table.text(), number, label, table=table)


def _cell_text(value: object) -> str:
    """A cell value as text; a date-time at midnight is shown as its date."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
