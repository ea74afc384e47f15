"""What the Office Open XML loaders share: refuse encrypted, non-zip and zip-bomb files, name parse failures."""

from __future__ import annotations

import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from ragkit.errors import SkipFile
from ragkit.ingest.table import Table, table_from_rows

MAX_UNPACKED_BYTES = 512 * 1024 * 1024
"""Largest total uncompressed size of an Office file's parts; beyond it the file is skipped, not parsed."""
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# What python-docx, openpyxl and python-pptx raise on damaged parts, besides their own exception classes
# (python-docx follows vertically merged cells by recursion; lxml's XMLSyntaxError is a SyntaxError).
_PARSE_ERRORS: tuple[type[Exception], ...] = (zipfile.BadZipFile, KeyError, ValueError, TypeError, AttributeError,
                                              IndexError, EOFError, NotImplementedError, SyntaxError,
                                              RecursionError)


@contextmanager
def office_file(path: Path, kind: str, *library_errors: type[Exception]) -> Iterator[None]:
    """Check that path is a readable zip package, then turn parse failures inside the block into SkipFile."""
    with path.open("rb") as handle:
        if handle.read(len(_OLE_MAGIC)) == _OLE_MAGIC:
            raise SkipFile(f"encrypted (password-protected) or old binary {kind} file: save it as an "
                           f"unprotected {path.suffix.lower()}")
    try:
        with zipfile.ZipFile(path) as package:
            unpacked = sum(info.file_size for info in package.infolist())
        if unpacked > MAX_UNPACKED_BYTES:
            raise SkipFile(f"{kind} file unpacks to {unpacked:,} bytes, more than the "
                           f"{MAX_UNPACKED_BYTES:,}-byte limit")
        yield
    except (*_PARSE_ERRORS, *library_errors) as exc:
        raise SkipFile(f"corrupt {kind} file ({type(exc).__name__}: {exc})") from exc


def table_line(cells: Iterable[str]) -> str:
    """One table row as a line: cells joined by ' | ', empty trailing cells dropped."""
    values = [" ".join(cell.split()) for cell in cells]
    while values and not values[-1]:
        values.pop()
    return " | ".join(values)


def table_or_line(rows: list[list[str]], title: str) -> Table | str:
    """A Word or PowerPoint table as a Table (header: its first row), or, with a single row, that row's line."""
    table = table_from_rows(enumerate(rows, start=1), title)
    return table if table is not None else "\n".join(line for line in map(table_line, rows) if line)
