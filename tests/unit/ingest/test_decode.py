"""Text files in the encodings Chinese and English users have: Unicode with or without a BOM, GBK, GB18030, Big5."""

import codecs
import random
from pathlib import Path

import pytest

from ragkit.errors import SkipFile
from ragkit.ingest import decode_text, load_file

pytestmark = pytest.mark.unit

SIMPLIFIED = ("公司差旅政策规定，员工出差期间每天的餐费补贴为六十欧元。住宿标准按照城市等级执行，"
              "一线城市每晚不超过八百元。报销时需要提供发票和行程单，并在出差结束后十个工作日内提交。")
TRADITIONAL = ("公司差旅政策規定，員工出差期間每天的餐費補貼為六十歐元。住宿標準按照城市等級執行，"
               "報銷時需要提供發票和行程單，並在出差結束後十個工作日內提交。")
ENGLISH = "Meal allowance is 60 euros per day; hotels are booked through the travel desk."


def _load(tmp_path: Path, data: bytes, name: str = "doc.txt") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    [page] = load_file(path)
    return page.text


@pytest.mark.parametrize(("encoding", "text"), [
    ("gbk", SIMPLIFIED),
    ("gb18030", SIMPLIFIED + "生僻字：𠀀𪚥。"),  # outside GBK: four-byte GB18030 sequences
    ("big5", TRADITIONAL),
])
def test_legacy_chinese_encodings_are_detected(tmp_path: Path, encoding: str, text: str):
    assert _load(tmp_path, (text + "\n" + ENGLISH).encode(encoding)) == text + "\n" + ENGLISH


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_unicode_with_a_byte_order_mark_is_decoded(tmp_path: Path, encoding: str):
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(encoding, b"")
    text = SIMPLIFIED + "\n" + ENGLISH
    assert _load(tmp_path, bom + text.encode(encoding), "doc.md") == text


def test_utf8_without_bom_and_a_latin1_file_decode(tmp_path: Path):
    assert _load(tmp_path, SIMPLIFIED.encode()) == SIMPLIFIED
    french = "Le café crème coûte deux euros à la gare ; été comme hiver, la boulangerie ouvre à sept heures."
    assert _load(tmp_path, french.encode("latin-1")) == french


@pytest.mark.parametrize("data", [
    bytes(range(256)) * 8,
    bytes(byte % 255 + 1 for byte in random.Random(0).randbytes(4096)),  # no NUL byte
    b"\x89PNG\r\n\x1a\n" + random.Random(1).randbytes(2048),
])
def test_binary_content_is_still_skipped(data: bytes):
    with pytest.raises(SkipFile, match="binary content"):
        decode_text(data)


def test_a_bom_with_broken_content_is_skipped_with_the_offset():
    with pytest.raises(SkipFile, match=r"invalid utf-8 text \(bad bytes at offset 5\)"):
        decode_text(codecs.BOM_UTF8 + b"ok\xff\xfe")
