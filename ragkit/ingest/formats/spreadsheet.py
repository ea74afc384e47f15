"""Spreadsheets: .xlsx through openpyxl (one page per sheet) and .csv (one page), one row per line."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from ragkit.errors import SkipFile
from ragkit.ingest.decode import decode_text
from ragkit.ingest.formats.office import office_file, table_line
from ragkit.ingest.page import Page


def load_xlsx(path: Path) -> list[Page]:
    """Each worksheet's non-empty rows (cached values, not formulas); page is the sheet's 1-based position."""
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    with office_file(path, "Excel", InvalidFileException):
        book = load_workbook(str(path), read_only=True, data_only=True)
        try:
            return [Page(_rows_text(sheet.iter_rows(values_only=True)), number, f"sheet {sheet.title}")
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
        return [Page(_rows_text(csv.reader(io.StringIO(text, newline=""), dialect)))]
    except csv.Error as exc:
        raise SkipFile(f"corrupt CSV file ({exc})") from exc


def _rows_text(rows) -> str:
    """Non-empty rows as lines of cells joined by ' | '."""
    lines = (table_line(_cell_text(value) for value in row) for row in rows)
    return "\n".join(line for line in lines if line)


def _cell_text(value: object) -> str:
    """A cell value as text; a date-time at midnight is shown as its date."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and value.time() == dt.time():
        return value.date().isoformat()
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)
