"""Incremental indexing: unchanged files embed nothing, a changed file re-embeds only its changed chunks."""

from pathlib import Path

import pytest

from ragkit.indexing import Indexer
from ragkit.settings import IndexSettings
from ragkit.store import AnnVectorStore
from tests.helpers import EXAMPLES_KB

pytestmark = pytest.mark.unit


def _paragraphs(prefix: str, n: int) -> str:
    return "\n\n".join(f"{prefix} paragraph {i}: " + " ".join(f"w{i}_{j}" for j in range(50)) for i in range(n))


def test_reindex_unchanged_embeds_nothing_and_changed_file_only_new_chunks(tmp_path: Path, hashing):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text(_paragraphs("alpha", 6))
    (docs / "b.txt").write_text(_paragraphs("beta", 6))
    indexer = Indexer(tmp_path / "idx", hashing, IndexSettings(chunk_tokens=64, overlap_tokens=0))
    first = indexer.run([docs])
    assert first.indexed_files == 2 and first.embedded_chunks == first.new_chunks == first.chunks > 6
    again = indexer.run([docs])
    assert again.unchanged_files == 2 and again.embedded_chunks == 0 and again.chunks == first.chunks
    (docs / "a.md").write_text(_paragraphs("alpha", 6) + "\n\nalpha paragraph new: fresh words here")
    changed = indexer.run([docs])
    assert changed.indexed_files == 1 and changed.unchanged_files == 1
    assert changed.embedded_chunks == 1
    store = AnnVectorStore.load(tmp_path / "idx", hashing)
    assert any("fresh words" in d.page_content for d in store.similarity_search("fresh words here", k=2))


def test_removed_file_is_pruned_and_bad_files_are_skipped(tmp_path: Path, hashing):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "keep.md").write_text("keep this text")
    (docs / "gone.md").write_text("this file will be removed")
    (docs / "empty.txt").write_text("")
    (docs / "junk.txt").write_bytes(bytes(range(256)) * 4)
    indexer = Indexer(tmp_path / "idx", hashing)
    report = indexer.run([docs])
    assert sorted(Path(s).name for s, _ in report.skipped) == ["empty.txt", "junk.txt"]
    (docs / "gone.md").unlink()
    report = indexer.run([docs])
    assert report.removed_files == 1
    sources = AnnVectorStore.load(tmp_path / "idx", hashing).docstore.sources()
    assert [Path(s).name for s in sources] == ["keep.md"]


def test_examples_index_cites_each_format(tmp_path: Path, hashing):
    report = Indexer(tmp_path / "idx", hashing).run([EXAMPLES_KB])
    assert report.skipped == [] and report.indexed_files == 5
    store = AnnVectorStore.load(tmp_path / "idx", hashing)
    pdf = [d for d in store.similarity_search("meal allowance euros", k=5) if d.metadata["source"].endswith(".pdf")]
    assert pdf and pdf[0].metadata["page"] == 1


def test_ivf_index_trains_on_more_than_one_batch(tmp_path: Path, hashing, monkeypatch):
    from ragkit.store.faiss_index import FaissIndex

    trained: list[int] = []
    original = FaissIndex.train

    def record(self, vectors, seed=0):
        trained.append(len(vectors))
        original(self, vectors, seed)

    monkeypatch.setattr(FaissIndex, "train", record)
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(30):
        (docs / f"d{i}.md").write_text(_paragraphs(f"doc{i}", 8))
    report = Indexer(tmp_path / "idx", hashing, IndexSettings(chunk_tokens=64, overlap_tokens=0, factory="IVF16,Flat",
                     batch_chunks=20)).run([docs])
    assert trained == [report.new_chunks] and report.new_chunks > 200
    store = AnnVectorStore.load(tmp_path / "idx", hashing)
    assert store.factory == "IVF16,Flat" and len(store) == report.chunks


def _store_rows(directory: Path, hashing) -> list[tuple[str, str]]:
    store = AnnVectorStore.load(directory, hashing)
    docs = store.docstore.by_rows(store.docstore.filter_rows({}))
    return sorted((d.id, d.text) for d in docs.values())


def test_streamed_groups_and_reader_processes_build_the_same_index(tmp_path: Path, hashing):
    docs = tmp_path / "docs"
    docs.mkdir()
    for i in range(12):
        (docs / f"f{i:02d}.md").write_text(_paragraphs(f"file{i}", 3))
    whole = Indexer(tmp_path / "whole", hashing, IndexSettings(chunk_tokens=64, overlap_tokens=0, workers=0)).run([docs])
    streamed = Indexer(tmp_path / "streamed", hashing, IndexSettings(chunk_tokens=64, overlap_tokens=0, batch_chunks=4,
                       workers=2)).run([docs])
    assert streamed.indexed_files == whole.indexed_files == 12
    assert streamed.chunks == streamed.embedded_chunks == whole.chunks
    assert _store_rows(tmp_path / "streamed", hashing) == _store_rows(tmp_path / "whole", hashing)


def test_folder_without_indexable_files_gives_an_empty_index_that_answers_nothing(tmp_path: Path, hashing):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "empty.md").write_text("")
    report = Indexer(tmp_path / "idx", hashing).run([docs])
    assert report.chunks == 0 and [Path(s).name for s, _ in report.skipped] == ["empty.md"]
    from ragkit.retrieval import load_bm25

    store = AnnVectorStore.load(tmp_path / "idx", hashing)
    assert store.similarity_search("anything", k=3) == []
    assert len(load_bm25(store, tmp_path / "idx").search("anything", 3)[1]) == 0


def test_auto_factory_sizes_the_corpus_by_bytes_not_files(tmp_path: Path, hashing):
    # One 50 MB file of 104k chunks read first, nine 1 kB files after: ~104k chunks, not ten times that.
    indexer = Indexer(tmp_path / "idx", hashing)
    store = indexer._empty_store(AnnVectorStore(hashing), 104_000, 50 * 2**20, 50 * 2**20 + 9 * 1024)
    assert store.factory.endswith(",Flat") and store.factory.startswith("IVF")
