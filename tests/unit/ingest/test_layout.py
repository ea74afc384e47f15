"""Reading order of OCR boxes: lines top to bottom, pieces of a line left to right, columns one after the other,
no space inside Chinese text, one between Latin words."""

import pytest

from ragkit.ingest.layout import Box, reading_order

pytestmark = pytest.mark.unit


def test_boxes_in_any_order_read_as_lines_top_to_bottom_left_to_right():
    boxes = [Box(300, 52, 500, 80, "world"), Box(10, 10, 200, 40, "第一行"), Box(210, 12, 400, 40, "第二段"),
             Box(10, 50, 290, 80, "hello")]
    assert reading_order(boxes) == "第一行第二段\nhello world"


def test_a_line_mixing_chinese_and_latin_gets_spaces_only_at_the_script_change():
    boxes = [Box(0, 0, 100, 30, "客服热线"), Box(110, 0, 300, 30, "400-600-3721"), Box(310, 0, 400, 30, "全天")]
    assert reading_order(boxes) == "客服热线 400-600-3721 全天"


def test_two_columns_are_read_one_after_the_other():
    left = [Box(20, 20 + 50 * i, 300, 50 + 50 * i, f"左栏第{i + 1}行") for i in range(3)]
    right = [Box(650, 20 + 50 * i, 950, 50 + 50 * i, f"right column line {i + 1}") for i in range(3)]
    text = reading_order(right + left)
    assert text == "左栏第1行\n左栏第2行\n左栏第3行\n\nright column line 1\nright column line 2\nright column line 3"


def test_a_title_across_both_columns_comes_first():
    title = Box(20, 0, 950, 30, "Annual report 年度报告")
    left = [Box(20, 80 + 50 * i, 300, 110 + 50 * i, f"left {i}") for i in range(2)]
    right = [Box(650, 80 + 50 * i, 950, 110 + 50 * i, f"right {i}") for i in range(2)]
    assert reading_order([*right, title, *left]).split("\n") == [
        "Annual report 年度报告", "", "left 0", "left 1", "", "right 0", "right 1"]


def test_a_narrow_label_column_stays_on_its_lines():
    boxes = [Box(0, 0, 60, 30, "姓名："), Box(200, 0, 400, 30, "张三"), Box(0, 40, 60, 70, "Phone:"),
             Box(200, 40, 400, 70, "8008")]
    assert reading_order(boxes) == "姓名：张三\nPhone: 8008"


def test_a_wide_vertical_gap_separates_paragraphs():
    boxes = [Box(0, 0, 300, 30, "first paragraph"), Box(0, 40, 300, 70, "continues"),
             Box(0, 140, 300, 170, "第二段")]
    assert reading_order(boxes) == "first paragraph\ncontinues\n\n第二段"


def test_no_boxes_read_as_no_text():
    assert reading_order([]) == ""
