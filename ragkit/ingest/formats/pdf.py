"""PDF through pypdf: one page per PDF page; an encrypted file opens when its user password is empty. A page with
(almost) no text layer - a scan - is rendered by pypdfium2 and OCR'd, so a mixed PDF OCRs only its scanned pages.
Tables of pages that draw lines are read by pdfplumber into table pages ("page N, table K"); such a page's text is
then pdfplumber's text outside the tables, so a cell is indexed once, with its header."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ragkit.errors import SkipFile
from ragkit.ingest.page import Page
from ragkit.ingest.scan import ocr_pages
from ragkit.ingest.table import table_from_rows

if TYPE_CHECKING:
    import numpy as np

# Silence pypdf's per-object warnings on damaged files: the loader reports one reason per file instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)

MIN_TEXT_CHARS = 20
"""A page that draws an image and whose text layer has fewer non-space characters than this is taken for a scan
and OCR'd (a text page that ends a chapter with one short line draws no image: it keeps its text, unOCR'd)."""
RENDER_DPI = 150
"""Resolution scanned pages are rendered at for OCR (benchmarks/ocr.py: CER and pages/s by resolution)."""
RULES = 4
"""Lines and rectangles a page draws before pdfplumber looks for tables on it."""
_PATH_OPERATORS = re.compile(rb"\s(?:re|l)(?=\s)")
_INLINE_IMAGE = re.compile(rb"(?:^|\s)BI\s")
MAX_SIDE = 4000
"""Longer side of a rendered page in pixels at most, whatever its size in the PDF."""


def load_pdf(path: Path) -> list[Page]:
    """Text of each page, OCR'd where it has no text layer; SkipFile when the file is corrupt or needs a password."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    with path.open("rb") as handle:
        try:
            reader = PdfReader(handle, strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise FileNotDecryptedError("the user password is not empty")
            pages = [Page(page.extract_text() or "", number, f"page {number}")
                     for number, page in enumerate(reader.pages, start=1)]
            ruled = [number for number, page in enumerate(reader.pages, start=1) if _draws_lines(page)]
            scans = [(text.page, text.label) for text, page in zip(pages, reader.pages)
                     if len("".join(text.text.split())) < MIN_TEXT_CHARS and _draws_image(page)]
        except FileNotDecryptedError as exc:
            raise SkipFile("encrypted PDF: needs a password") from exc
        except DependencyError as exc:
            raise SkipFile(f"PDF needs a missing library: {exc}") from exc
        except (PyPdfError, ValueError, KeyError, TypeError) as exc:
            raise SkipFile(f"corrupt PDF ({type(exc).__name__}: {exc})") from exc
    ocred = {page.page: page for page in _ocr(path, scans)} if scans else {}
    tables = _tables(path, [number for number in ruled if number not in ocred])
    return [part for page in pages for part in _with_tables(ocred.get(page.page, page), tables.get(page.page))]


def _with_tables(page: Page, tables: tuple[str, list[Page]] | None) -> list[Page]:
    """The page followed by its table pages, its text then being the text outside the tables."""
    if tables is None:
        return [page]
    outside, parts = tables
    return [Page(outside, page.page, page.label), *parts]


def _draws_lines(page: object) -> bool:
    """Whether the page's content stream draws at least RULES lines or rectangles (a bytes scan, no parsing)."""
    contents = page.get_contents()  # type: ignore[attr-defined]
    return contents is not None and len(_PATH_OPERATORS.findall(contents.get_data())) >= RULES


def _draws_image(page: Any) -> bool:
    """Whether the page (or a form it draws, one level down) holds an image XObject, or its content stream an inline
    image: what a scanned page is made of."""
    def images(resources: Any) -> Iterator[Any]:
        xobjects = (resources or {}).get("/XObject") or {}
        for ref in xobjects.values():
            yield ref.get_object()

    for xobject in images(page.get("/Resources")):
        if xobject.get("/Subtype") == "/Image" or (xobject.get("/Subtype") == "/Form" and any(
                inner.get("/Subtype") == "/Image" for inner in images(xobject.get("/Resources")))):
            return True
    contents = page.get_contents()
    return contents is not None and _INLINE_IMAGE.search(contents.get_data()) is not None


def _tables(path: Path, numbers: list[int]) -> dict[int, tuple[str, list[Page]]]:
    """(text outside the tables, table pages) by page number, read by pdfplumber (slow) from the given pages: those
    that draw lines; pages without a table are left out."""
    if not numbers:
        return {}
    import pdfplumber

    found: dict[int, tuple[str, list[Page]]] = {}
    try:
        with pdfplumber.open(path, password="") as pdf:
            for number in numbers:
                page = pdf.pages[number - 1]
                parts: list[Page] = []
                outside = page
                for grid in page.find_tables():
                    table = table_from_rows(enumerate(([c or "" for c in row] for row in grid.extract()), start=1))
                    if table is not None:
                        parts.append(Page(table.text(), number, f"page {number}, table {len(parts) + 1}", table=table))
                        outside = outside.outside_bbox(grid.bbox)
                if parts:
                    found[number] = (outside.extract_text() or "", parts)
    except Exception as exc:  # noqa: BLE001 - pdfminer raises many kinds on damaged files; the text is kept
        logging.getLogger(__name__).warning("tables of %s not read: %s: %s", path, type(exc).__name__, exc)
    return found


def _ocr(path: Path, scans: list[tuple[int, str]]) -> list[Page]:
    """OCR'd pages of the PDF, rendered one at a time by pypdfium2."""
    import pypdfium2

    try:
        document = pypdfium2.PdfDocument(path, password="")
    except pypdfium2.PdfiumError as exc:
        raise SkipFile(f"corrupt PDF: pdfium cannot render it ({exc})") from exc
    try:
        return list(ocr_pages(path, scans, lambda number: _render(document, number), f"pdf@{RENDER_DPI}dpi"))
    finally:
        document.close()


def _render(document: object, number: int) -> np.ndarray:
    """Page `number` (1-based) as an RGB array at RENDER_DPI, its longer side at most MAX_SIDE pixels."""
    import numpy as np
    import pypdfium2

    try:
        page = document[number - 1]  # type: ignore[index]
        width, height = page.get_size()
        scale = min(RENDER_DPI / 72, MAX_SIDE / max(width, height, 1))
        return np.asarray(page.render(scale=scale).to_pil().convert("RGB"))
    except pypdfium2.PdfiumError as exc:
        raise SkipFile(f"corrupt PDF: page {number} cannot be rendered ({exc})") from exc
