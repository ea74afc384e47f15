"""PDF through pypdf: one page per PDF page; an encrypted file opens when its user password is empty."""

from __future__ import annotations

import logging
from pathlib import Path

from ragkit.errors import SkipFile
from ragkit.ingest.page import Page

# Silence pypdf's per-object warnings on damaged files: the loader reports one reason per file instead.
logging.getLogger("pypdf").setLevel(logging.ERROR)


def load_pdf(path: Path) -> list[Page]:
    """Text of each page; SkipFile when the file is corrupt or needs a password."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError

    with path.open("rb") as handle:
        try:
            reader = PdfReader(handle, strict=False)
            if reader.is_encrypted and not reader.decrypt(""):
                raise FileNotDecryptedError("the user password is not empty")
            return [Page(page.extract_text() or "", number, f"page {number}")
                    for number, page in enumerate(reader.pages, start=1)]
        except FileNotDecryptedError as exc:
            raise SkipFile("encrypted PDF: needs a password") from exc
        except DependencyError as exc:
            raise SkipFile(f"PDF needs a missing library: {exc}") from exc
        except (PyPdfError, ValueError, KeyError, TypeError) as exc:
            raise SkipFile(f"corrupt PDF ({type(exc).__name__}: {exc})") from exc
