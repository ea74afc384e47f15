"""OCR with rapidocr's bundled models: every image type, a mixed PDF (only its scanned page OCR'd), pages turned by
90, 180 and 270 degrees, an image with no text, and the OCR cache (a second index run OCRs nothing, a changed scan
is OCR'd again alone). Images are small and made here from known text."""

from pathlib import Path

import pytest

from ragkit.errors import SkipFile
from ragkit.eval.scans import CJK_FONT, Look, render_pages, save_pdf
from ragkit.indexing import Indexer
from ragkit.ingest import load_file
from ragkit.settings import IndexSettings
from tests.helpers import EXAMPLES_KB_ZH

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(not CJK_FONT.is_file(), reason="needs fonts-wqy-microhei (apt-get install)")]

NOTE = "报销时限：出差结束后十五日内提交。\nMeal allowance: 100 yuan per day."


def _note(text: str = NOTE, turn: int = 0):
    """A small greyscale image of text (about 600 x 180 pixels)."""
    return render_pages(text, Look(points=11, dpi=150, turn=turn), margin_mm=4, size_mm=(100, 30))[0]


def _squeezed(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("suffix", [".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp"])
def test_each_image_type_is_read_through_ocr(tmp_path: Path, suffix: str):
    path = tmp_path / f"note{suffix}"
    _note().convert("RGB").save(path)
    [page] = load_file(path)
    assert page.ocr == "ran" and page.label == "" and page.ocr_seconds > 0
    assert _squeezed(page.text) == _squeezed(NOTE), page.text
    assert page.text.splitlines()[0].startswith("报销时限")  # reading order: the first line first


def test_a_mixed_pdf_ocrs_only_its_scanned_page(tmp_path: Path):
    from pypdf import PdfWriter

    scan = save_pdf([_note()], tmp_path / "scan.pdf", 150)
    writer = PdfWriter(clone_from=EXAMPLES_KB_ZH / "product-faq.pdf")
    writer.append(str(scan))
    writer.write(tmp_path / "mixed.pdf")
    text_page, scanned_page = load_file(tmp_path / "mixed.pdf")
    assert (text_page.page, text_page.ocr, scanned_page.page, scanned_page.ocr) == (1, "", 2, "ran")
    assert "十四个月" in text_page.text
    assert scanned_page.label == "page 2" and "十五日内" in scanned_page.text and "100 yuan" in scanned_page.text


@pytest.mark.parametrize("turn", [90, 180, 270])
def test_a_turned_page_reads_in_order(tmp_path: Path, turn: int):
    path = tmp_path / "turned.png"
    _note(turn=turn).save(path)
    [page] = load_file(path)
    lines = page.text.splitlines()
    assert lines[0].startswith("报销时限") and "100 yuan" in lines[-1], page.text


def test_an_image_without_text_is_skipped(tmp_path: Path):
    from PIL import Image

    path = tmp_path / "blank.png"
    Image.new("L", (300, 200), 235).save(path)
    with pytest.raises(SkipFile, match="no text found by OCR"):
        load_file(path)


def test_the_ocr_cache_makes_a_rebuild_ocr_nothing_and_a_changed_scan_alone_is_ocrd_again(tmp_path: Path,
                                                                                       hashing):
    docs = tmp_path / "docs"
    docs.mkdir()
    _note().save(docs / "a.png")
    _note("第二张：客服热线 400-600-3721").save(docs / "b.png")
    index = tmp_path / "index"
    settings = IndexSettings(language="zh")
    first = Indexer(index, hashing, settings).run([docs])
    assert (first.indexed_files, first.ocr_pages, first.ocr_cached_pages) == (2, 2, 0) and first.ocr_seconds > 0
    again = Indexer(index, hashing, settings.model_copy(update={"rebuild": True})).run([docs])
    assert (again.indexed_files, again.ocr_pages, again.ocr_cached_pages) == (2, 0, 2)
    _note("第二张改了：客服热线 400-600-0000").save(docs / "b.png")
    changed = Indexer(index, hashing, settings).run([docs])
    assert (changed.indexed_files, changed.unchanged_files, changed.ocr_pages) == (1, 1, 1)


def test_reader_processes_ocr_and_report_pages(tmp_path: Path, hashing):
    docs = tmp_path / "docs"
    docs.mkdir()
    save_pdf([_note(), _note("第二页：客服热线 400-600-3721")], docs / "scan.pdf", 150)
    seen: list[tuple[str, int, int]] = []
    report = Indexer(tmp_path / "index", hashing, IndexSettings(language="zh", workers=1)).run(
        [docs], lambda stage, done, total: seen.append((stage, done, total)))
    assert (report.indexed_files, report.ocr_pages) == (1, 2)
    assert [s for s in seen if s[0] == "ocr"] == [("ocr", 1, 2), ("ocr", 2, 2)]
