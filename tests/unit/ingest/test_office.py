"""Office files built with python-docx, openpyxl and python-pptx (Chinese and English), CSV, and damaged ones."""

import io
import zipfile
from pathlib import Path

import pytest

from ragkit.errors import SkipFile
from ragkit.ingest import load_file
from ragkit.ingest.formats import office

pytestmark = pytest.mark.unit


def _docx(path: Path) -> Path:
    import docx

    document = docx.Document()
    document.add_heading("差旅政策 Travel policy", level=1)
    document.add_paragraph("员工出差每天的餐费补贴为六十欧元。")
    table = document.add_table(rows=3, cols=3)
    for row, cells in enumerate([["城市", "住宿上限", "备注"], ["北京", "800", "一线城市"], ["Total", "", ""]]):
        for col, text in enumerate(cells):
            table.cell(row, col).text = text
    table.cell(2, 0).merge(table.cell(2, 2))
    document.add_paragraph("After the table: book hotels through the travel desk.")
    document.save(str(path))
    return path


def _xlsx(path: Path) -> Path:
    import datetime as dt

    from openpyxl import Workbook

    book = Workbook()
    budget = book.active
    budget.title = "预算 Budget"
    budget.append(["项目", "金额", "日期"])
    budget.append(["差旅", 1200, dt.datetime(2024, 3, 1)])
    budget.append([None, None, None])
    budget.append(["Hotels", 3.5, None])
    book.create_sheet("Empty")
    book.create_sheet("Notes").append(["English note", None, "最后一列"])
    book.save(str(path))
    return path


def _pptx(path: Path) -> Path:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    title = deck.slides.add_slide(deck.slide_layouts[0])
    title.shapes.title.text = "季度报告 Quarterly report"
    title.notes_slide.notes_text_frame.text = "讲者备注：强调增长。"
    body = deck.slides.add_slide(deck.slide_layouts[5])
    body.shapes.title.text = "Revenue"
    rows = body.shapes.add_table(2, 2, Inches(1), Inches(2), Inches(4), Inches(1)).table
    for r, cells in enumerate([["地区", "收入"], ["华东", "42"]]):
        for c, text in enumerate(cells):
            rows.cell(r, c).text = text
    group = body.shapes.add_group_shape()
    group.shapes.add_textbox(Inches(1), Inches(4), Inches(3), Inches(1)).text_frame.text = "分组里的文字 grouped"
    deck.save(str(path))
    return path


def test_docx_gives_its_paragraphs_then_each_table_as_a_page(tmp_path: Path):
    text, table = load_file(_docx(tmp_path / "政策.docx"))
    assert (text.page, text.label, table.page, table.label) == (1, "", 1, "table 1")
    assert text.text == ("差旅政策 Travel policy\n\n员工出差每天的餐费补贴为六十欧元。\n\n"
                         "After the table: book hotels through the travel desk.")
    assert table.text == ("员工出差每天的餐费补贴为六十欧元。\n| 城市 | 住宿上限 | 备注 |\n| --- | --- | --- |\n"
                          "| 北京 | 800 | 一线城市 |\n| Total |  |  |")
    assert table.table is not None and [n for n, _ in table.table.rows] == [2, 3]


def test_xlsx_gives_one_page_per_sheet_named_in_the_label(tmp_path: Path):
    pages = load_file(_xlsx(tmp_path / "budget.xlsx"))
    assert [(p.page, p.label) for p in pages] == [(1, "sheet 预算 Budget"), (3, "sheet Notes")]
    assert pages[0].text == ("预算 Budget\n| 项目 | 金额 | 日期 |\n| --- | --- | --- |\n| 差旅 | 1200 | 2024-03-01 |\n"
                             "| Hotels | 3.5 |  |")
    assert pages[0].table is not None and [n for n, _ in pages[0].table.rows] == [2, 4]  # the sheet's rows
    assert pages[1].text == "English note |  | 最后一列" and pages[1].table is None  # one row: no header to repeat


@pytest.mark.parametrize(("encoding", "data"), [
    ("utf-8", "项目,金额\n差旅,1200\n\"Hotels, Beijing\",800\n"),
    ("gbk", "项目;金额\n差旅;1200\n酒店;800\n"),
])
def test_csv_rows_become_a_table_in_any_encoding(tmp_path: Path, encoding: str, data: str):
    path = tmp_path / "budget.csv"
    path.write_bytes(data.encode(encoding))
    [page] = load_file(path)
    lines = page.text.splitlines()
    assert lines[:4] == ["budget", "| 项目 | 金额 |", "| --- | --- |", "| 差旅 | 1200 |"] and len(lines) == 5
    assert lines[4] in ("| Hotels, Beijing | 800 |", "| 酒店 | 800 |")


def test_pptx_gives_one_page_per_slide_and_one_per_table(tmp_path: Path):
    pages = load_file(_pptx(tmp_path / "report.pptx"))
    assert [(p.page, p.label) for p in pages] == [(1, "slide 1"), (2, "slide 2"), (2, "slide 2, table 1")]
    assert pages[0].text == "季度报告 Quarterly report\n\n讲者备注：强调增长。"
    assert pages[1].text == "Revenue\n\n分组里的文字 grouped"
    assert pages[2].text == "Revenue\n| 地区 | 收入 |\n| --- | --- |\n| 华东 | 42 |"


@pytest.mark.parametrize("suffix", [".docx", ".xlsx", ".pptx"])
def test_damaged_office_files_are_skipped_with_a_reason(tmp_path: Path, suffix: str):
    build = {".docx": _docx, ".xlsx": _xlsx, ".pptx": _pptx}[suffix]
    good = build(tmp_path / f"good{suffix}").read_bytes()
    cases = {
        "garbage": (b"this is not an office file at all", "corrupt"),
        "truncated": (good[: len(good) // 2], "corrupt"),
        "encrypted": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504), "encrypted"),
        "other-zip": (_zip({"hello.txt": b"not a package"}), "corrupt"),
    }
    for name, (data, reason) in cases.items():
        path = tmp_path / f"{name}{suffix}"
        path.write_bytes(data)
        with pytest.raises(SkipFile, match=reason):
            load_file(path)


def test_an_office_file_that_unpacks_too_large_is_not_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    path = _docx(tmp_path / "big.docx")
    monkeypatch.setattr(office, "MAX_UNPACKED_BYTES", 1000)
    with pytest.raises(SkipFile, match="more than the 1,000-byte limit"):
        load_file(path)


def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        for name, data in members.items():
            package.writestr(name, data)
    return buffer.getvalue()
