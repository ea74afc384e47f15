"""Office bombs are skipped with a reason before any parser opens them; real Office files pass the check."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from ragkit.errors import SkipFile
from ragkit.ingest import guard, load_file
from ragkit.ingest.guard import check_office
from tests.office_bombs import docx_bomb, real_docx


def test_a_real_docx_passes_and_is_read(tmp_path: Path):
    path = real_docx(tmp_path / "policy.docx", "酒店上限为每晚180欧元。The hotel cap is 180 EUR.")
    check_office(path)
    assert "180" in load_file(path)[0].text and "酒店" in load_file(path)[0].text


def test_a_swollen_docx_is_skipped_as_a_decompression_bomb_before_parsing(tmp_path: Path):
    path = docx_bomb(tmp_path / "bomb.docx")
    assert path.stat().st_size < 400_000  # the template parts (styles, theme) included
    with pytest.raises(SkipFile, match="decompression bomb"):
        check_office(path)
    with pytest.raises(SkipFile, match="decompression bomb"):
        load_file(path)


def test_entity_declarations_are_refused(tmp_path: Path):
    with pytest.raises(SkipFile, match="DTD"):
        load_file(docx_bomb(tmp_path / "laughs.docx", dtd=True))


def test_too_many_tags_or_parts_are_refused_even_at_a_plain_ratio(tmp_path: Path, monkeypatch):
    path = docx_bomb(tmp_path / "many.docx", paragraphs=20_000)  # 0.7 MB of XML: under the ratio check's floor
    check_office(path)
    monkeypatch.setattr(guard, "MAX_TAGS", 50_000)
    with pytest.raises(SkipFile, match="XML tags"):
        check_office(path)
    monkeypatch.setattr(guard, "MAX_MEMBERS", 3)
    with pytest.raises(SkipFile, match="parts"):
        check_office(path)


def test_other_files_and_non_zips_are_left_to_their_loaders(tmp_path: Path):
    (tmp_path / "notes.md").write_text("# notes")
    check_office(tmp_path / "notes.md")
    (tmp_path / "fake.docx").write_bytes(b"not a zip")
    check_office(tmp_path / "fake.docx")
    with pytest.raises(SkipFile, match="corrupt"):
        load_file(tmp_path / "fake.docx")
    assert zipfile.is_zipfile(real_docx(tmp_path / "ok.docx"))
