"""load_within: files read in a forked child within a time and memory budget; a bomb or a stuck parser is a skip
with a reason, the caller's memory untouched; OCR progress and the page limit cross into the child."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from ragkit.errors import InvalidInputError, SkipFile
from ragkit.indexing import Indexer
from ragkit.ingest import LoaderRegistry, Page, load_file
from ragkit.ingest.reader import load_within
from ragkit.ingest.scan import current_ocr, ocr_context
from ragkit.settings import IndexSettings, ReaderBudget, validated
from tests.office_bombs import real_docx, span_bomb

pytestmark = pytest.mark.unit

BUDGET = ReaderBudget(seconds=60, memory_mb=256)


def pid_page(path: Path) -> list[Page]:
    """Which process read the file, and the OCR context it saw."""
    cache, progress, limit = current_ocr()
    if progress is not None:
        progress(str(path), 1, 2)
    return [Page(f"pid {os.getpid()} cache {cache} limit {limit} {path.read_text()}")]


def sleeping(path: Path) -> list[Page]:
    time.sleep(120)
    return [Page("never")]


def killed(path: Path) -> list[Page]:
    os.kill(os.getpid(), signal.SIGKILL)
    return [Page("never")]


def swelling(path: Path) -> list[Page]:
    hoard = [bytearray(1 << 20) for _ in range(4096)]  # 4 GB, in 1 MB blocks
    return [Page(str(len(hoard)))]


def registry(loader) -> LoaderRegistry:  # type: ignore[no-untyped-def]
    return LoaderRegistry({(".dat", ".txt"): loader})


def test_a_docx_reads_the_same_in_the_child(tmp_path: Path):
    for text in ("The hotel cap is 180 EUR a night.", "酒店每晚上限为 180 欧元。"):
        path = real_docx(tmp_path / "policy.docx", text)
        assert [p.text for p in load_within(path, BUDGET)] == [p.text for p in load_file(path)] == [text]


def test_the_file_is_read_in_a_child_unless_plain_text(tmp_path: Path):
    for suffix in (".dat", ".txt"):
        (tmp_path / f"a{suffix}").write_text("hello 你好", encoding="utf-8")
    child = load_within(tmp_path / "a.dat", BUDGET, registry(pid_page))[0].text
    here = load_within(tmp_path / "a.txt", BUDGET, registry(pid_page))[0].text
    assert child.startswith("pid ") and not child.startswith(f"pid {os.getpid()} ") and child.endswith("hello 你好")
    assert here.startswith(f"pid {os.getpid()} ")
    assert load_within(tmp_path / "a.dat", None, registry(pid_page))[0].text.startswith(f"pid {os.getpid()} ")


def test_the_ocr_context_crosses_into_the_child(tmp_path: Path):
    path = tmp_path / "scan.dat"
    path.write_text("x")
    seen: list[tuple[str, int, int]] = []
    with ocr_context(tmp_path / "ocr.sqlite", lambda *report: seen.append(report), limit=2):
        text = load_within(path, BUDGET, registry(pid_page))[0].text
    assert f"cache {tmp_path / 'ocr.sqlite'} limit 2 x" in text
    assert seen == [(str(path), 1, 2)]


def test_a_stuck_parser_is_stopped_at_its_time(tmp_path: Path):
    path = tmp_path / "slow.dat"
    path.write_text("x")
    started = time.monotonic()
    with pytest.raises(SkipFile, match=r"took more than 1 s without finishing a page"):
        load_within(path, ReaderBudget(seconds=1, memory_mb=256), registry(sleeping))
    assert time.monotonic() - started < 10


def test_a_reader_that_swells_is_stopped_at_its_memory(tmp_path: Path):
    path = tmp_path / "big.dat"
    path.write_text("x")
    before = psutil.Process().memory_info().rss
    with pytest.raises(SkipFile, match=r"needs more than 256 MB of memory"):
        load_within(path, BUDGET, registry(swelling))
    assert psutil.Process().memory_info().rss - before < 64 << 20


def test_a_reader_that_dies_is_a_skip_naming_the_signal(tmp_path: Path):
    path = tmp_path / "dies.dat"
    path.write_text("x")
    with pytest.raises(SkipFile, match=r"reader process died \(SIGKILL\)"):
        load_within(path, BUDGET, registry(killed))


def test_a_docx_whose_cell_spans_billions_of_columns_is_skipped_for_memory(tmp_path: Path):
    bomb = span_bomb(tmp_path / "span.docx")
    assert bomb.stat().st_size < 64 << 10
    with pytest.raises(SkipFile, match=r"needs more than 256 MB of memory"):
        load_within(bomb, BUDGET)


def test_indexing_skips_the_bomb_and_keeps_the_rest(tmp_path: Path):
    from ragkit.embeddings import HashingEmbeddings

    folder = tmp_path / "docs"
    folder.mkdir()
    span_bomb(folder / "span.docx")
    real_docx(folder / "policy.docx", "The hotel cap is 180 EUR a night.")
    settings = IndexSettings(language="en", reader=BUDGET, workers=0)
    report = Indexer(tmp_path / "index", HashingEmbeddings(), settings).run([folder])
    assert report.indexed_files == 1, report.skipped
    assert [reason for _, reason in report.skipped] == [
        "needs more than 256 MB of memory to read: stopped (the reader's memory budget, IndexSettings.reader)"]


def test_a_budget_too_small_to_read_anything_is_refused():
    with pytest.raises(InvalidInputError, match="reader.memory_mb"):
        validated(IndexSettings, reader={"memory_mb": 64})
    with pytest.raises(InvalidInputError, match="reader.seconds"):
        validated(IndexSettings, reader={"seconds": 0})
    assert validated(IndexSettings, reader=None).reader is None


def test_idle_reader_servers_are_closed_after_a_while(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    from ragkit.ingest import reader

    reader._Server.close_idle()
    monkeypatch.setattr(reader, "IDLE_S", 0.5)
    path = tmp_path / "a.dat"
    path.write_text("x")
    load_within(path, BUDGET, registry(pid_page))
    servers = [psutil.Process(server._process.pid) for server in reader._Server._idle]
    assert len(servers) == 1 and servers[0].is_running()
    deadline = time.monotonic() + 10
    while reader._Server._idle and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not reader._Server._idle
    servers[0].wait(timeout=5)  # exited, not just forgotten
