"""The loaders ragkit ships, by file suffix; more are added with ragkit.ingest.register_loader."""

from __future__ import annotations

from ragkit.ingest.formats.image import load_image
from ragkit.ingest.formats.pdf import load_pdf
from ragkit.ingest.formats.slides import load_pptx
from ragkit.ingest.formats.spreadsheet import load_csv, load_xlsx
from ragkit.ingest.formats.text import load_html, load_text
from ragkit.ingest.formats.word import load_docx

BUILTIN_LOADERS = {
    (".txt", ".md", ".markdown"): load_text,
    (".html", ".htm"): load_html,
    (".pdf",): load_pdf,
    (".docx",): load_docx,
    (".xlsx",): load_xlsx,
    (".csv",): load_csv,
    (".pptx",): load_pptx,
    (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"): load_image,
}
"""Suffixes -> loader for every format ragkit reads without extra code."""
