"""File loaders for .txt, .md, .pdf and .html; each returns pages of text or raises SkipFile with a reason."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ragkit.errors import InvalidInputError, SkipFile

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".pdf", ".html", ".htm")

# Silence pypdf's per-object warnings on damaged files: the loader reports one reason per file instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)


@dataclass(frozen=True)
class Page:
    """Text of one page of a file (page 1 for formats without pages)."""

    text: str
    page: int = 1


def iter_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Expand files and directories (recursively, sorted, hidden entries skipped); a missing path is an error."""
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            raise InvalidInputError(f"path does not exist: {raw}")
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                rel = child.relative_to(path).parts
                if any(part.startswith(".") for part in rel):
                    continue
                if child.is_file() or (child.is_symlink() and not child.exists()):
                    yield child
        else:
            yield path


def load_file(path: Path) -> list[Page]:
    """Load a file as pages of text; raise SkipFile when it is empty, binary, corrupt or unreadable."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise SkipFile(f"unsupported file type {suffix or '(none)'}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SkipFile(f"unreadable: {exc.strerror or exc}") from exc
    if not data.strip():
        raise SkipFile("empty file")
    if suffix == ".pdf":
        pages = _load_pdf(path)
    else:
        text = _decode_text(data)
        pages = [Page(_html_text(text) if suffix in (".html", ".htm") else text)]
    pages = [p for p in pages if p.text.strip()]
    if not pages:
        raise SkipFile("no extractable text")
    return pages


def _decode_text(data: bytes) -> str:
    """Decode UTF-8 text, refusing binary content and other encodings rather than guessing."""
    if b"\x00" in data[:8192]:
        raise SkipFile("binary content, not text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SkipFile(f"not UTF-8 text (invalid byte at offset {exc.start})") from exc
    sample = text[:8192]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f")
    if controls > max(8, len(sample) // 100):
        raise SkipFile("binary content, not text")
    return text


def _html_text(html: str) -> str:
    """Visible text of an HTML page, scripts and styles removed, one block per line."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    lines = (line.strip() for line in soup.get_text("\n").splitlines())
    return "\n".join(line for line in lines if line)


def _load_pdf(path: Path) -> list[Page]:
    """Text of each PDF page through pypdf; any parse failure marks the file as corrupt."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(str(path), strict=False)
        return [Page(page.extract_text() or "", number) for number, page in enumerate(reader.pages, start=1)]
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise SkipFile(f"corrupt PDF ({type(exc).__name__}: {exc})") from exc
