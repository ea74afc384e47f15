"""ragkit.KnowledgeBases: list, create, delete, staged uploads with undo, recovery after a crash, re-index and the
writer lock; file names in Chinese and English, same-name uploads kept side by side."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from ragkit import (
    FileTooLargeError,
    IndexNotFoundError,
    InvalidInputError,
    KnowledgeBaseExistsError,
    KnowledgeBases,
    SourceNotFoundError,
    Upload,
)
from ragkit.staging import free_name
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit


def _kbs(root: Path) -> KnowledgeBases:
    return KnowledgeBases(root, ScriptedChatModel.saying("ok"), "hashing")


def _upload(kbs: KnowledgeBases, name: str, files: dict[str, str], keep_both: bool = False) -> Upload:
    upload = kbs.stage(name)
    for file_name, text in files.items():
        upload.add(file_name, io.BytesIO(text.encode()), 10_000, keep_both=keep_both)
    return upload


def _visible(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if not p.name.startswith("."))


def test_create_list_and_delete(tmp_path: Path):
    kbs = _kbs(tmp_path)
    assert kbs.names() == []
    kbs.create("team")
    kbs.create("zh-docs", embedder="hashing:64")
    assert kbs.names() == ["team", "zh-docs"] and kbs.get("zh-docs").manifest().dimension == 64
    with pytest.raises(KnowledgeBaseExistsError, match="exists already"):
        kbs.create("team")
    with pytest.raises(InvalidInputError, match="invalid index name"):
        kbs.create("../escape")
    kbs.delete("team")
    assert kbs.names() == ["zh-docs"] and not (tmp_path / "team").exists()
    assert not list(tmp_path.glob(".deleted-*"))
    with pytest.raises(IndexNotFoundError):
        kbs.delete("team")


def test_a_first_upload_builds_the_knowledge_base_and_later_ones_add_to_it(tmp_path: Path):
    kbs = _kbs(tmp_path)
    report = kbs.index_upload("new", _upload(kbs, "new", {"policy.md": "The cap is 100.", "员工手册.md": "上限是一百。"}))
    assert report.indexed_files == 2 and kbs.names() == ["new"]
    assert dict(kbs.sources("new")).keys() == {"policy.md", "员工手册.md"}
    kbs.index_upload("new", _upload(kbs, "new", {"travel.txt": "Trains are second class."}))
    assert _visible(tmp_path / "new" / "files") == ["policy.md", "travel.txt", "员工手册.md"]
    assert not list((tmp_path / "new" / "files").glob(".upload-*"))  # staging cleaned


@pytest.mark.parametrize(("name", "kept"), [("notes.md", "notes (2).md"), ("员工手册.md", "员工手册 (2).md"),
                                            ("v1.2 plan.txt", "v1.2 plan (2).txt")])
def test_a_same_name_upload_is_kept_beside_the_first(tmp_path: Path, name: str, kept: str):
    kbs = _kbs(tmp_path)
    kbs.create("docs")
    kbs.index_upload("docs", _upload(kbs, "docs", {name: "first"}))
    upload = _upload(kbs, "docs", {name: "second"}, keep_both=True)
    assert upload.names == [kept]
    assert upload.add(name, io.BytesIO(b"third"), 100, keep_both=True) == kept.replace("(2)", "(3)")
    upload.finish()
    assert free_name("a.md", {"a.md", "a (2).md"}) == "a (3).md" and free_name("b.md", {"a.md"}) == "b.md"


def test_without_keep_both_a_same_name_upload_replaces_and_undo_puts_it_back(tmp_path: Path):
    kbs = _kbs(tmp_path)
    kbs.create("docs")
    kbs.index_upload("docs", _upload(kbs, "docs", {"policy.md": "The cap is 100."}))
    upload = _upload(kbs, "docs", {"policy.md": "The cap is 200.", "新.md": "新文件"})
    with pytest.raises(InvalidInputError, match="twice"):
        upload.add("policy.md", io.BytesIO(b"again"), 100)
    with pytest.raises(FileTooLargeError):
        upload.add("big.md", io.BytesIO(b"x" * 101), 100)
    assert not (upload.staging / "big.md").exists()  # nothing of a refused file is kept
    upload.commit(kbs.get("docs").manifest().generation)
    assert (tmp_path / "docs" / "files" / "policy.md").read_text() == "The cap is 200."
    upload.undo()
    upload.finish()
    assert _visible(tmp_path / "docs" / "files") == ["policy.md"]
    assert (tmp_path / "docs" / "files" / "policy.md").read_text() == "The cap is 100."


def test_a_failed_indexing_run_leaves_the_files_folder_as_it_was(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    kbs = _kbs(tmp_path)
    kbs.create("docs")
    kbs.index_upload("docs", _upload(kbs, "docs", {"policy.md": "The cap is 100."}))
    kb = kbs.get("docs")
    generation = kb.manifest().generation

    def fail(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(type(kb), "index", fail)
    with pytest.raises(RuntimeError):
        kbs.index_upload("docs", _upload(kbs, "docs", {"policy.md": "The cap is 200.", "extra.md": "extra"}))
    assert _visible(tmp_path / "docs" / "files") == ["policy.md"]
    assert (tmp_path / "docs" / "files" / "policy.md").read_text() == "The cap is 100."
    assert kb.manifest().generation == generation and not list((tmp_path / "docs" / "files").glob(".upload-*"))


def test_recover_rolls_back_a_dead_writers_upload_and_leaves_a_live_ones(tmp_path: Path):
    kbs = _kbs(tmp_path)
    kbs.create("docs")
    dead = _upload(kbs, "docs", {"half.md": "arrived before the crash"})
    dead.staged("job-1")
    live = _upload(kbs, "docs", {"arriving.md": "another process is still writing this"})
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        live._note(pid=child.pid)  # as if that process were staging it
        gone = subprocess.Popen([sys.executable, "-c", "pass"])
        gone.wait()
        dead._note(pid=gone.pid)
        outcomes = _kbs(tmp_path).recover()
        assert outcomes == {"job-1": (False, outcomes["job-1"][1])} and "upload the files again" in outcomes["job-1"][1]
        assert not dead.staging.exists() and (live.staging / "arriving.md").exists()
    finally:
        child.kill()
        child.wait()
    assert _kbs(tmp_path).recover() == {} and not live.staging.exists()  # its writer is gone now


def test_recover_removes_an_unbuilt_knowledge_bases_staging_and_half_deletes(tmp_path: Path):
    kbs = _kbs(tmp_path)
    upload = _upload(kbs, "fresh", {"a.md": "a"})
    upload.journal["pid"] = -1  # no such process
    upload._note()
    (tmp_path / ".deleted-old-1234").mkdir()
    (tmp_path / "not a name").mkdir()
    _kbs(tmp_path).recover()
    assert not upload.staging.exists() and not (tmp_path / ".deleted-old-1234").exists()
    assert (tmp_path / "not a name").is_dir() and kbs.names() == []


def test_delete_source_and_reindex(tmp_path: Path):
    kbs = _kbs(tmp_path)
    kbs.index_upload("docs", _upload(kbs, "docs", {"a.md": "Alpha text.", "说明.md": "中文说明。"}))
    assert kbs.delete_source("docs", "说明.md") > 0
    assert _visible(tmp_path / "docs" / "files") == ["a.md"]
    with pytest.raises(SourceNotFoundError):
        kbs.delete_source("docs", "说明.md")
    report = kbs.reindex("docs", rebuild=True)
    assert report.indexed_files == 1 and [s for s, _ in kbs.sources("docs")] == ["a.md"]


def test_writers_of_one_knowledge_base_take_turns(tmp_path: Path):
    kbs = _kbs(tmp_path)
    kbs.create("docs")
    order: list[str] = []

    def second() -> None:
        with kbs.writing("docs"):
            order.append("second")

    with kbs.writing("docs"):
        thread = threading.Thread(target=second)
        thread.start()
        time.sleep(0.2)
        order.append("first")
    thread.join(5)
    assert order == ["first", "second"]


def test_another_process_waits_for_the_writer(tmp_path: Path):
    kbs = _kbs(tmp_path)
    kbs.create("docs")
    script = ("import sys; from pathlib import Path; from ragkit.store.persist import write_lock\n"
              "try:\n    with write_lock(Path(sys.argv[1]), wait=False): print('got')\n"
              "except Exception as exc: print(type(exc).__name__)\n")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    with kbs.writing("docs"):
        held = subprocess.run([sys.executable, "-c", script, str(tmp_path / "docs")], capture_output=True, text=True,
                              env=env, check=True).stdout.strip()
    free = subprocess.run([sys.executable, "-c", script, str(tmp_path / "docs")], capture_output=True, text=True,
                          env=env, check=True).stdout.strip()
    assert (held, free) == ("IndexLockedError", "got")
