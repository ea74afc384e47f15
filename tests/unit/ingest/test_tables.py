"""Tables from every format (a sheet, a CSV, Word, PowerPoint and PDF tables) are split by rows into chunks that each
repeat the header; labels name the sheet or table and the rows, in Chinese and English."""

from pathlib import Path

import pytest

from ragkit.ingest import Splitter, load_file
from ragkit.ingest.table import table_from_rows

pytestmark = pytest.mark.unit

HEADER_ZH = ["项目", "预算（元）", "负责人"]
HEADER_EN = ["Item", "Price (USD)", "Supplier"]


def _rows(header: list[str], count: int) -> list[list[str]]:
    return [header] + [[f"项目{n}" if "项目" in header else f"item {n}", str(100 * n), f"负责人{n}"]
                       for n in range(1, count + 1)]


def _splitter() -> Splitter:
    return Splitter(len, chunk_tokens=120, overlap_tokens=10)  # one token per character: a few rows per chunk


def _check(chunks: list, header: list[str], count: int, title: str = "") -> None:
    """Every chunk holds the header row (and the title) first; together they hold every data row once."""
    head = "| " + " | ".join(header) + " |"
    assert len(chunks) > 2
    seen = []
    for chunk in chunks:
        lines = chunk.text.splitlines()
        assert lines[:2 if title else 1] == ([title, head] if title else [head]), chunk.text
        seen += [line for line in lines if line.startswith("| ") and line != head and not line.startswith("| ---")]
        assert len(chunk.text) <= 120 or len(lines) == (4 if title else 3)  # a chunk's size, or one long row
    assert len(seen) == count and len(set(seen)) == count


def test_a_sheet_larger_than_a_chunk_splits_by_rows_and_repeats_the_header(tmp_path: Path):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "预算 Budget"
    for row in _rows(HEADER_ZH, 30):
        sheet.append(row)
    book.save(tmp_path / "budget.xlsx")
    chunks = _splitter().split(load_file(tmp_path / "budget.xlsx"), "budget.xlsx")
    _check(chunks, HEADER_ZH, 30, title="预算 Budget")
    assert chunks[0].label.startswith("sheet 预算 Budget, rows 2-") and chunks[-1].label.endswith("-31")


def test_a_csv_price_list_splits_by_rows_with_its_header(tmp_path: Path):
    path = tmp_path / "prices.csv"
    path.write_text("\n".join(",".join(row) for row in _rows(HEADER_EN, 25)), encoding="utf-8")
    chunks = _splitter().split(load_file(path), "prices.csv")
    _check(chunks, HEADER_EN, 25, title="prices")
    assert chunks[0].label.startswith("rows 2-") and chunks[-1].label.endswith("-26")


def test_a_word_table_repeats_its_header_under_the_paragraph_before_it(tmp_path: Path):
    import docx

    document = docx.Document()
    document.add_paragraph("下表是各项目的预算。")
    rows = _rows(HEADER_ZH, 20)
    table = document.add_table(rows=len(rows), cols=3)
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            table.cell(r, c).text = text
    document.save(str(tmp_path / "budget.docx"))
    text, *tables = _splitter().split(load_file(tmp_path / "budget.docx"), "budget.docx")
    assert text.text == "下表是各项目的预算。"
    _check(tables, HEADER_ZH, 20, title="下表是各项目的预算。")
    assert tables[0].label.startswith("table 1, rows 2-")


def test_a_slide_table_repeats_its_header_under_the_slide_title(tmp_path: Path):
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Price list"
    rows = _rows(HEADER_EN, 15)
    grid = slide.shapes.add_table(len(rows), 3, Inches(1), Inches(2), Inches(6), Inches(4)).table
    for r, cells in enumerate(rows):
        for c, text in enumerate(cells):
            grid.cell(r, c).text = text
    deck.save(str(tmp_path / "prices.pptx"))
    title, *tables = _splitter().split(load_file(tmp_path / "prices.pptx"), "prices.pptx")
    assert title.text == "Price list" and title.label == "slide 1"
    _check(tables, HEADER_EN, 15, title="Price list")
    assert tables[0].label.startswith("slide 1, table 1, rows 2-")


@pytest.mark.parametrize(("header", "title", "cell"), [(HEADER_ZH, "2024 年部门预算表", "项目7"),
                                                      (HEADER_EN, "Price list 2024", "item 7")])
def test_a_pdf_table_with_ruling_lines_is_read_by_rows(tmp_path: Path, header: list[str], title: str, cell: str):
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    style = TableStyle([("GRID", (0, 0), (-1, -1), 0.5, colors.black), ("FONT", (0, 0), (-1, -1), "STSong-Light")])
    intro = Paragraph(title, ParagraphStyle("title", fontName="STSong-Light"))
    SimpleDocTemplate(str(tmp_path / "budget.pdf"), pagesize=A4).build([intro, Table(_rows(header, 20), style=style)])
    pages = load_file(tmp_path / "budget.pdf")
    assert [(p.page, p.label) for p in pages] == [(1, "page 1"), (1, "page 1, table 1")]
    assert title in pages[0].text and cell not in pages[0].text  # a cell is indexed once: in the table page
    _check(_splitter().split(pages[1:], "budget.pdf"), header, 20)


def test_a_pdf_without_drawn_lines_gets_no_table_pages():
    from tests.helpers import EXAMPLES_KB_ZH

    assert [p.label for p in load_file(EXAMPLES_KB_ZH / "product-faq.pdf")] == ["page 1"]


def test_cells_with_pipes_and_ragged_rows_keep_the_header_width():
    table = table_from_rows(enumerate([["a|b", "c", ""], ["1"], [], ["2", "3", "4", "5"]], start=1), "T")
    assert table is not None
    assert table.text() == "T\n| a\\|b | c |  |  |\n| --- | --- | --- | --- |\n| 1 |  |  |  |\n| 2 | 3 | 4 | 5 |"
    assert [n for n, _ in table.rows] == [2, 4]
