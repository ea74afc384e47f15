"""Crash recovery of uploads and jobs, from each state a SIGKILL can leave on disk (the real kill is in
tests/integration/server/test_crash_recovery.py)."""

from __future__ import annotations

import io
import shutil
import time
from pathlib import Path

from ragkit import IndexReport, Upload
from ragkit.server.jobs import INTERRUPTED, Jobs, new_job_id
from ragkit.server.kbs import ServedKnowledgeBases as KnowledgeBases
from tests.scripted_model import ScriptedChatModel


def _kbs(tmp_path: Path) -> KnowledgeBases:
    kbs = KnowledgeBases(tmp_path, ScriptedChatModel.saying("ok"), "hashing")
    kbs.create("docs")
    upload = _staged(kbs, {"policy.md": "The cap is 100. 上限是100。"})
    kbs.index_upload("docs", upload)
    return kbs


def _staged(kbs: KnowledgeBases, files: dict[str, str]) -> Upload:
    upload = Upload(kbs.directory("docs"))
    for name, text in files.items():
        upload.add(name, io.BytesIO(text.encode()), 10_000)
    upload.staged(new_job_id())
    return upload


def _files(kbs: KnowledgeBases) -> dict[str, str]:
    files = kbs.directory("docs") / "files"
    return {p.name: p.read_text() for p in files.iterdir() if not p.name.startswith(".")}


def _indexed(kbs: KnowledgeBases) -> set[str]:
    return {source for source, _ in kbs.sources("docs")}


def test_an_upload_staged_but_not_committed_is_dropped(tmp_path: Path):
    kbs = _kbs(tmp_path)
    upload = _staged(kbs, {"new.md": "new"})
    outcomes = KnowledgeBases(tmp_path, kbs.llm, "hashing").recover()  # a new process after the crash
    assert outcomes[upload.journal["job"]][0] is False
    assert _files(kbs) == {"policy.md": "The cap is 100. 上限是100。"} and not upload.staging.exists()


def test_a_commit_cut_short_before_the_index_was_saved_is_rolled_back(tmp_path: Path):
    kbs = _kbs(tmp_path)
    upload = _staged(kbs, {"policy.md": "The cap is 200.", "extra.md": "extra"})
    upload.commit(kbs.get("docs").manifest().generation)
    # the crash came mid-commit: extra.md was never moved in
    shutil.move(str(kbs.directory("docs") / "files" / "extra.md"), upload.staging / "extra.md")
    indexed, what = KnowledgeBases(tmp_path, kbs.llm, "hashing").recover()[upload.journal["job"]]
    assert not indexed and "upload the files again" in what
    assert _files(kbs) == {"policy.md": "The cap is 100. 上限是100。"} and _indexed(kbs) == {"policy.md"}


def test_an_upload_whose_index_was_saved_is_rolled_forward_keeping_only_indexed_files(tmp_path: Path):
    kbs = _kbs(tmp_path)
    upload = _staged(kbs, {"policy.md": "The cap is 200.", "blank.md": "   "})
    kb = kbs.get("docs")
    upload.commit(kb.manifest().generation)
    kb.index(upload.paths)  # saved; the crash came before the journal said so
    indexed, what = KnowledgeBases(tmp_path, kbs.llm, "hashing").recover()[upload.journal["job"]]
    assert indexed and "completed" in what
    assert _files(kbs) == {"policy.md": "The cap is 200."} and _indexed(kbs) == {"policy.md"}
    assert not upload.staging.exists()


def test_jobs_survive_a_restart_and_interrupted_ones_say_what_happened(tmp_path: Path):
    jobs = Jobs(1, tmp_path / ".jobs")
    done = jobs.submit("reindex", "docs", lambda progress: IndexReport(), lambda report: {"files": report.files})
    while not jobs.get(done.id).ended:
        time.sleep(0.01)
    jobs.shutdown()
    for path in (tmp_path / ".jobs").glob("*.json"):
        path.write_text(path.read_text().replace('"status": "done"', '"status": "running"'))  # as if killed while it ran
    upload_id = new_job_id()
    (tmp_path / ".jobs" / f"{upload_id}.json").write_text(
        f'{{"id": "{upload_id}", "kind": "upload", "index": "docs", "status": "queued"}}')
    restarted = Jobs(1, tmp_path / ".jobs")
    restarted.recovered({upload_id: (True, "completed on restart")})
    assert restarted.get(done.id).status == "failed" and restarted.get(done.id).error == INTERRUPTED
    assert restarted.get(upload_id).status == "done" and restarted.get(upload_id).report == {
        "recovered": "completed on restart"}
    assert Jobs(1, tmp_path / ".jobs").get(upload_id).status == "done"  # the outcome is kept too
