"""Server settings from the environment, and upload names, types and staging."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pydantic import ValidationError

from ragkit import (
    FileTooLargeError,
    InvalidInputError,
    KnowledgeBase,
    UnsupportedFileTypeError,
    Upload,
    check_type,
    safe_name,
)
from ragkit.server.settings import ServerSettings, is_loopback

pytestmark = pytest.mark.unit


def test_settings_come_from_prefixed_environment_and_forbid_unknown_fields(monkeypatch, tmp_path):
    monkeypatch.setenv("RAGKIT_SERVE_PORT", "9123")
    monkeypatch.setenv("RAGKIT_SERVE_INDEXES", str(tmp_path))
    settings = ServerSettings()
    assert settings.port == 9123 and settings.indexes_root() == tmp_path.resolve()
    assert settings.keys_path() == tmp_path.resolve() / ".keys" / "keys.json"
    assert ServerSettings(port=1).port == 1  # flags win
    with pytest.raises(ValidationError, match="colour"):
        ServerSettings(colour="red")


@pytest.mark.parametrize(("host", "required"), [("127.0.0.1", False), ("localhost", False), ("::1", False),
                                                 ("0.0.0.0", True), ("192.168.1.5", True), ("example.org", True)])
def test_keys_are_required_off_loopback(host, required):
    assert ServerSettings(host=host).keys_required() is required
    assert is_loopback(host) is not required
    assert ServerSettings(host=host, api_keys="required").keys_required()


@pytest.mark.parametrize(("raw", "name"), [
    ("notes.md", "notes.md"), ("../../etc/passwd.txt", "passwd.txt"), ("C:\\Users\\me\\report.pdf", "report.pdf"),
    ("员工手册.md", "员工手册.md"), ("dir/年度报告.pdf", "年度报告.pdf"), ("bad\x1b[31m.txt", "bad[31m.txt"),
])
def test_safe_name_keeps_only_the_file_name(raw, name):
    assert safe_name(raw) == name


@pytest.mark.parametrize("raw", ["", None, "..", "../", ".bashrc", "dir/.hidden.md", "x" * 300 + ".md"])
def test_safe_name_refuses_hidden_or_empty_names(raw):
    with pytest.raises(InvalidInputError):
        safe_name(raw)


def test_types_are_the_loaders():
    check_type("a.PDF")
    check_type("说明.markdown")
    with pytest.raises(UnsupportedFileTypeError, match=r"\.exe"):
        check_type("tool.exe")
    with pytest.raises(UnsupportedFileTypeError, match="none"):
        check_type("README")


def test_upload_commits_and_undoes_without_leaving_anything(tmp_path: Path):
    files = tmp_path / "files"
    files.mkdir()
    (files / "old.md").write_text("old")
    upload = Upload(tmp_path)
    upload.add("old.md", io.BytesIO(b"new"), 100)
    upload.add("新.md", io.BytesIO("新文件".encode()), 100)
    with pytest.raises(FileTooLargeError):
        upload.add("big.md", io.BytesIO(b"x" * 101), 100)
    upload.commit()
    assert (files / "old.md").read_text() == "new" and (files / "新.md").read_text() == "新文件"
    upload.undo()
    upload.finish()
    assert sorted(p.name for p in files.iterdir()) == ["old.md"] and (files / "old.md").read_text() == "old"
    kb = KnowledgeBase(path=tmp_path)
    assert kb.uploaded_name(str(files / "old.md")) == "old.md" and kb.shown_source(str(files / "old.md")) == "old.md"
    assert kb.uploaded_name("/elsewhere/old.md") is None and kb.shown_source("/elsewhere/old.md") == "/elsewhere/old.md"


def test_undo_before_commit_touches_nothing(tmp_path: Path):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "a.md").write_text("kept")
    upload = Upload(tmp_path)
    upload.add("a.md", io.BytesIO(b"new"), 100)
    upload.undo()
    upload.finish()
    assert [p.name for p in (tmp_path / "files").iterdir()] == ["a.md"]
    assert (tmp_path / "files" / "a.md").read_text() == "kept"
