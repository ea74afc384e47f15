"""Two writers on one index (an exclusive write lock; nobody deletes a live writer's staging directory) and
readers that load while a writer replaces the generation they opened."""

import json
import os
import threading
from multiprocessing import get_context
from pathlib import Path

import pytest

from ragkit.embeddings import HashingEmbeddings
from ragkit.errors import IndexLockedError
from ragkit.store import AnnVectorStore
from ragkit.store import docstore as docstore_module
from ragkit.store.persist import LOCK_FILE, MANIFEST, write_lock
from tests.unit.store.concurrency_workers import DIM, add_source, hold_lock

pytestmark = pytest.mark.unit


def test_two_processes_writing_different_sources_both_end_up_in_the_index(tmp_path: Path) -> None:
    directory = str(tmp_path / "idx")
    context = get_context("spawn")
    writers = [context.Process(target=add_source, args=(directory, source, 20)) for source in ("a.md", "b.md")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join(120)
    assert [w.exitcode for w in writers] == [0, 0]
    store = AnnVectorStore.load(directory, HashingEmbeddings(DIM))
    assert sorted(store.docstore.filter_rows({"source": "a.md"}) + store.docstore.filter_rows({"source": "b.md"})) \
        == store.docstore.rows().tolist() and len(store) == 40
    assert not [p for p in Path(directory).iterdir() if p.name.startswith(".staging-")]


def test_a_second_writer_is_refused_with_the_holders_pid_or_waits(tmp_path: Path) -> None:
    directory = tmp_path / "idx"
    context = get_context("spawn")
    locked, release = context.Event(), context.Event()
    holder = context.Process(target=hold_lock, args=(str(directory), locked, release))
    holder.start()
    try:
        assert locked.wait(60)
        refusal = rf"index idx is being written by another process \(pid {holder.pid}\)"
        with pytest.raises(IndexLockedError, match=refusal), write_lock(directory, wait=False):
            pass
        with pytest.raises(IndexLockedError, match="did not finish within 0.2 s"), write_lock(directory, wait=0.2):
            pass
        saver = threading.Thread(target=AnnVectorStore.from_texts(["text"], HashingEmbeddings(DIM)).save,
                                 args=(directory,))
        saver.start()  # a save waits for the lock
        saver.join(1.0)
        assert saver.is_alive() and not (directory / MANIFEST).exists()
    finally:
        release.set()
        holder.join(60)
    saver.join(60)
    assert (directory / MANIFEST).exists()
    with write_lock(directory, wait=10):
        assert (directory / LOCK_FILE).read_text().strip() == str(os.getpid())


def test_the_lock_is_reentrant_in_a_thread_and_exclusive_between_threads(tmp_path: Path) -> None:
    directory = tmp_path / "idx"
    store = AnnVectorStore.from_texts(["一个中文句子", "an English sentence"], HashingEmbeddings(DIM))
    refused: list[BaseException] = []

    def other_thread() -> None:
        try:
            with write_lock(directory, wait=False):
                pass
        except IndexLockedError as exc:
            refused.append(exc)

    with write_lock(directory, wait=False):
        store.save(directory)  # save takes the lock itself: the same thread re-enters
        thread = threading.Thread(target=other_thread)
        thread.start()
        thread.join()
    assert len(refused) == 1
    assert len(AnnVectorStore.load(directory, HashingEmbeddings(DIM))) == 2


def test_staging_directories_of_dead_writers_are_removed_by_the_next_writer(tmp_path: Path) -> None:
    directory = tmp_path / "idx"
    store = AnnVectorStore.from_texts(["text"], HashingEmbeddings(DIM))
    store.save(directory)
    (directory / ".staging-deadwriter").mkdir()
    (directory / ".staging-deadwriter" / "index.faiss").write_bytes(b"half written")
    store.save(directory)
    assert sorted(p.name for p in directory.iterdir()) == [LOCK_FILE, "gen-000002", MANIFEST]


def test_a_load_retries_on_the_new_generation_when_a_writer_removed_the_one_it_opened(tmp_path: Path,
                                                                                       monkeypatch) -> None:
    directory = tmp_path / "idx"
    embedder = HashingEmbeddings(DIM)
    old = AnnVectorStore.from_texts(["old text"], embedder, ids=["old"])
    old.save(directory)
    new = AnnVectorStore.from_texts(["new text", "newer text"], embedder, ids=["new", "newer"])
    real_load = docstore_module.DocStore.load
    calls = []

    def load_racing_a_writer(path: Path) -> docstore_module.DocStore:
        if not calls:
            new.save(directory)  # publishes gen-000002 and deletes gen-000001, whose docstore is about to be read
        calls.append(path)
        return real_load(path)

    monkeypatch.setattr(docstore_module.DocStore, "load", staticmethod(load_racing_a_writer))
    loaded = AnnVectorStore.load(directory, embedder)
    assert sorted(d.id for d in loaded.similarity_search("text", k=5)) == ["new", "newer"]
    assert [p.parent.name for p in calls] == ["gen-000001", "gen-000002"]


def test_loads_racing_saves_in_threads_never_fail(tmp_path: Path) -> None:
    directory = tmp_path / "idx"
    embedder = HashingEmbeddings(DIM)
    stores = [AnnVectorStore.from_texts([f"text {i}" for i in range(n)], embedder) for n in (3, 5)]
    stores[0].save(directory)
    stop = threading.Event()

    def keep_saving() -> None:
        while not stop.is_set():
            for store in stores:
                store.save(directory)

    writer = threading.Thread(target=keep_saving)
    writer.start()
    try:
        counts = {len(AnnVectorStore.load(directory, embedder)) for _ in range(150)}
    finally:
        stop.set()
        writer.join()
    assert counts <= {3, 5}
    assert json.loads((directory / MANIFEST).read_text())["count"] in (3, 5)
