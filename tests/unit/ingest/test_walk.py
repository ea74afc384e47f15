"""Finding files: any depth, symlinks out of the corpus skipped unless allowed, names that are not UTF-8."""

import os
from pathlib import Path

import pytest

from ragkit.errors import InvalidInputError
from ragkit.ingest import safe_name, walk
from ragkit.ingest.walk import BAD_NAME, OUTSIDE_LINK

pytestmark = pytest.mark.unit


def _names(paths: list[Path], root: Path) -> list[str]:
    return [str(p.relative_to(root)) for p in paths]


def test_files_come_depth_first_in_name_order_without_hidden_entries(tmp_path: Path):
    for name in ["b.md", "a/z.txt", "a/b/c.txt", "a0.txt", ".git/x.txt", "a/.env", "说明.txt"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    found = walk([tmp_path, tmp_path / "b.md"])
    assert _names(found.files, tmp_path) == ["a/b/c.txt", "a/z.txt", "a0.txt", "b.md", "说明.txt", "b.md"]
    assert found.skipped == []


def test_a_missing_path_raises_before_anything_is_walked(tmp_path: Path):
    with pytest.raises(InvalidInputError, match="path does not exist: .*nope"):
        walk([tmp_path, tmp_path / "nope"])


def test_a_thousand_nested_folders_are_walked(tmp_path: Path):
    # Path.mkdir(parents=True), os.makedirs and shutil.rmtree (pytest's clean-up) recurse: build and remove by hand.
    folders = [tmp_path / "d"]
    for _ in range(999):
        folders.append(folders[-1] / "d")
    for folder in folders:
        folder.mkdir()
    (folders[-1] / "bottom.txt").write_text("深处 deep")
    try:
        assert walk([tmp_path]).files == [folders[-1] / "bottom.txt"]
    finally:
        _remove_chain(tmp_path / "d")


def _remove_chain(top: Path) -> None:
    """Remove a deep chain of folders, moving each child up first so that no path grows long (rmdir is slow)."""
    spare = top.with_name("spare")
    while top.exists():
        for child in top.iterdir():
            if child.is_dir():
                child.rename(spare)
            else:
                child.unlink()
        top.rmdir()
        if spare.exists():
            spare.rename(top)


@pytest.fixture()
def linked(tmp_path: Path) -> Path:
    """corpus/ with links to /etc/passwd, to a folder outside, to a file and a folder inside; outside/ loops back."""
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    (corpus / "sub").mkdir(parents=True)
    outside.mkdir()
    (corpus / "sub" / "real.txt").write_text("inside")
    (outside / "secret.txt").write_text("outside")
    (outside / "again").symlink_to(outside)
    (corpus / "passwd").symlink_to("/etc/passwd")
    (corpus / "ext").symlink_to(outside)
    (corpus / "alias.txt").symlink_to(corpus / "sub" / "real.txt")
    (corpus / "loop").symlink_to(corpus)
    return corpus


def test_links_out_of_the_corpus_are_skipped_with_the_reason(linked: Path):
    found = walk([linked])
    assert _names(found.files, linked) == ["alias.txt", "sub/real.txt"]
    assert [(p.name, reason) for p, reason in found.skipped] == [("ext", OUTSIDE_LINK), ("passwd", OUTSIDE_LINK)]
    assert "outside the indexed folders" in OUTSIDE_LINK


def test_links_out_of_the_corpus_are_followed_when_allowed(linked: Path):
    found = walk([linked], allow_external_links=True)
    assert _names(found.files, linked) == ["alias.txt", "ext/secret.txt", "passwd", "sub/real.txt"]
    assert found.skipped == []


def test_a_link_into_another_given_path_counts_as_inside(linked: Path):
    found = walk([linked, linked.parent / "outside"])
    assert [p.name for p, _ in found.skipped] == ["passwd"]
    assert [p.name for p in found.files] == ["alias.txt", "real.txt", "secret.txt"]


def test_a_name_that_is_not_utf8_is_skipped_and_named_safely(tmp_path: Path):
    os.close(os.open(os.fsencode(tmp_path) + b"/bad\xff.txt", os.O_CREAT | os.O_WRONLY))
    os.mkdir(os.fsencode(tmp_path) + b"/dir\xfe")
    (tmp_path / "good.txt").write_text("good")
    found = walk([tmp_path])
    assert [p.name for p in found.files] == ["good.txt"]
    assert [(safe_name(p.name), reason) for p, reason in found.skipped] == [
        ("bad\\xff.txt", BAD_NAME), ("dir\\xfe", BAD_NAME)]
    safe_name(found.skipped[0][0]).encode("utf-8")  # storable and printable


def test_safe_name_escapes_control_characters():
    assert safe_name("报告\x1b[31m\n.txt") == "报告\\x1b[31m\\n.txt"
    assert safe_name(Path("plain/名字.md")) == "plain/名字.md"


def test_a_given_path_that_is_not_a_regular_file_is_skipped(tmp_path: Path):
    fifo = tmp_path / "pipe.txt"
    os.mkfifo(fifo)
    assert walk([fifo]).skipped == [(fifo, "not a regular file")]
    assert walk([tmp_path]).files == []
