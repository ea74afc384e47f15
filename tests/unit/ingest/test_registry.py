"""The loader registry: a new format added through the public seam, suffix rules, conflicts."""

import pickle
from pathlib import Path

import pytest

from ragkit.errors import InvalidInputError, SkipFile
from ragkit.ingest import LoaderRegistry, Page, load_file, register_loader, supported_suffixes
from ragkit.ingest.formats.text import load_text

pytestmark = pytest.mark.unit


def load_toy(path: Path) -> list[Page]:
    """A toy format: each line is a part of its own."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [Page(line, number, f"line {number}") for number, line in enumerate(lines, start=1)]


def test_a_registered_loader_reads_files_with_its_suffix(tmp_path: Path):
    path = tmp_path / "notes.TOY"
    path.write_text("第一行：差旅补贴\n\nsecond line: meal allowance", encoding="utf-8")
    with pytest.raises(SkipFile, match="unsupported file type .toy"):
        load_file(path)
    register_loader("toy", load_toy)
    register_loader([".TOY"], load_toy)  # the same loader again is a no-op
    assert ".toy" in supported_suffixes()
    pages = load_file(path)
    assert [(p.page, p.label, p.text) for p in pages] == [(1, "line 1", "第一行：差旅补贴"),
                                                           (3, "line 3", "second line: meal allowance")]


def test_builtin_suffixes_are_listed_sorted():
    suffixes = supported_suffixes()
    assert {".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".xlsx", ".csv", ".pptx"} <= set(suffixes)
    assert list(suffixes) == sorted(suffixes)


def test_a_taken_suffix_needs_replace(tmp_path: Path):
    registry = LoaderRegistry({(".txt",): load_text})
    with pytest.raises(InvalidInputError, match=r"\.txt is already registered: pass replace=True"):
        registry.register(".txt", load_toy)
    registry.register(".txt", load_toy, replace=True)
    path = tmp_path / "a.txt"
    path.write_text("one\ntwo", encoding="utf-8")
    assert [p.label for p in load_file(path, registry)] == ["line 1", "line 2"]
    assert registry.suffixes() == (".txt",)


@pytest.mark.parametrize("suffix", ["", ".", "tar.gz", "a/b"])
def test_a_suffix_path_suffix_cannot_return_is_refused(suffix: str):
    with pytest.raises(InvalidInputError, match="not a file suffix"):
        LoaderRegistry().register(suffix, load_toy)


def test_a_registry_pickles_for_reader_processes():
    assert pickle.loads(pickle.dumps(LoaderRegistry({(".txt", ".md"): load_text}))).suffixes() == (".md", ".txt")
