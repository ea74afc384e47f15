"""PDFs: one that needs a password is skipped with that reason, one with an empty user password loads; a text page
with one short line is not taken for a scan."""

from pathlib import Path

import pytest

from ragkit.errors import SkipFile
from ragkit.ingest import load_file
from tests.helpers import EXAMPLES_KB

pytestmark = pytest.mark.unit


def _encrypted(path: Path, user_password: str, algorithm: str) -> Path:
    from pypdf import PdfWriter

    writer = PdfWriter(clone_from=EXAMPLES_KB / "travel-policy.pdf")
    writer.encrypt(user_password=user_password, owner_password="owner-secret", algorithm=algorithm)
    with path.open("wb") as handle:
        writer.write(handle)
    return path


@pytest.mark.parametrize("algorithm", ["AES-256", "AES-128", "RC4-128"])
def test_a_pdf_that_needs_a_password_is_skipped(tmp_path: Path, algorithm: str):
    with pytest.raises(SkipFile, match="^encrypted PDF: needs a password$"):
        load_file(_encrypted(tmp_path / "locked.pdf", "user-secret", algorithm))


def test_a_pdf_encrypted_with_an_empty_user_password_loads(tmp_path: Path):
    pages = load_file(_encrypted(tmp_path / "open.pdf", "", "AES-256"))
    assert [(p.page, p.label) for p in pages] == [(1, "page 1")]
    assert "60 euros" in pages[0].text


@pytest.mark.parametrize("last_line", ["The end.", "全文完。"])
def test_a_text_page_with_one_short_line_keeps_its_text_without_ocr(tmp_path: Path, last_line: str):
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    page = canvas.Canvas(str(tmp_path / "report.pdf"))
    for text in ("The hotel cap is 180 EUR a night for every city in the travel policy.", last_line):
        page.setFont("STSong-Light", 12)
        page.drawString(72, 700, text)
        page.showPage()
    page.save()
    pages = load_file(tmp_path / "report.pdf")
    assert [(p.text.strip(), p.ocr) for p in pages][1] == (last_line, "")
