"""Each loader on a good file, and every kind of bad file skipped with its reason."""

from pathlib import Path

import pytest

from ragkit.errors import InvalidInputError, SkipFile
from ragkit.ingest import iter_files, load_file
from tests.helpers import EXAMPLES_KB

pytestmark = pytest.mark.unit


def test_markdown_and_text_load_as_one_page():
    pages = load_file(EXAMPLES_KB / "onboarding.md")
    assert len(pages) == 1 and pages[0].page == 1
    assert "onboarding buddy" in pages[0].text
    assert "hardware security key" in load_file(EXAMPLES_KB / "security.txt")[0].text


def test_html_keeps_visible_text_only():
    text = load_file(EXAMPLES_KB / "product-faq.html")[0].text
    assert "IP67" in text
    assert "analytics placeholder" not in text and "font-family" not in text


def test_pdf_pages_are_numbered():
    pages = load_file(EXAMPLES_KB / "travel-policy.pdf")
    assert [p.page for p in pages] == [1]
    assert "60 euros" in pages[0].text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.md", b"  \n\n ", "empty file"),
        ("junk.txt", bytes(range(256)) * 8, "binary content"),
        ("broken.pdf", b"%PDF-1.4\nthis is not a pdf body", "corrupt PDF"),
        ("archive.xyz", b"\x89PNG....", "unsupported file type .xyz"),
    ],
)
def test_bad_files_raise_skipfile_with_reason(tmp_path: Path, name: str, content: bytes, reason: str):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SkipFile, match=reason):
        load_file(path)


def test_unreadable_file_is_skipped(tmp_path: Path):
    import os

    if os.geteuid() == 0:
        path = tmp_path / "dir.txt"
        path.mkdir()  # reading a directory fails even for root
    else:
        path = tmp_path / "secret.txt"
        path.write_text("secret")
        path.chmod(0)
    with pytest.raises(SkipFile, match="unreadable"):
        load_file(path)


def test_iter_files_expands_directories_and_refuses_missing_paths(tmp_path: Path):
    (tmp_path / "a.md").write_text("a")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.txt").write_text("b")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "c.txt").write_text("c")
    assert [p.name for p in iter_files([tmp_path])] == ["a.md", "b.txt"]
    with pytest.raises(InvalidInputError, match="does not exist"):
        list(iter_files([tmp_path / "nope"]))
