"""Saving and loading without pickle: round trip, checks on load, and atomic replacement."""

import json
from pathlib import Path

import pytest

from ragkit.embeddings import HashingEmbeddings
from ragkit.errors import IndexFormatError, IndexNotFoundError, InvalidInputError
from ragkit.store import AnnVectorStore
from ragkit.store.persist import MANIFEST, read_manifest

pytestmark = pytest.mark.unit

TEXTS = ["the cat sat on the mat", "dogs chase cats", "stock markets fell today", "a recipe for bread"]


def _store(embedder, factory="Flat") -> AnnVectorStore:
    metas = [{"source": f"s{i % 2}.txt", "n": i} for i in range(len(TEXTS))]
    return AnnVectorStore.from_texts(TEXTS, embedder, metas, ids=[f"id{i}" for i in range(len(TEXTS))],
                                       factory=factory)


@pytest.mark.parametrize("factory", ["Flat", "HNSW16"])
def test_round_trip_keeps_documents_scores_and_deletes(tmp_path: Path, hashing, factory: str):
    store = _store(hashing, factory)
    store.delete(["id1"])
    before = store.similarity_search_with_score("cat on a mat", k=3)
    store.save(tmp_path / "idx")
    loaded = AnnVectorStore.load(tmp_path / "idx", hashing)
    after = loaded.similarity_search_with_score("cat on a mat", k=3)
    assert [(d.id, d.metadata, round(s, 5)) for d, s in before] == [(d.id, d.metadata, round(s, 5)) for d, s in after]
    assert "id1" not in {d.id for d, _ in after}
    assert len(loaded) == 3
    manifest = read_manifest(tmp_path / "idx")
    assert manifest.embedder_spec == "hashing:256" and manifest.count == 3 and manifest.factory == factory


def test_no_pickle_on_disk(tmp_path: Path, hashing):
    _store(hashing).save(tmp_path / "idx")
    names = sorted(p.name for p in (tmp_path / "idx").rglob("*") if p.is_file())
    assert names == [".lock", "docstore.sqlite", "index.faiss", "manifest.json"]
    for path in (tmp_path / "idx").rglob("*"):
        if path.is_file():
            assert not path.read_bytes().startswith(b"\x80"), f"{path} looks like a pickle"


def test_load_refuses_another_embedder_or_dimension(tmp_path: Path, hashing):
    _store(hashing).save(tmp_path / "idx")
    with pytest.raises(IndexFormatError, match="built with embedder 'ragkit-hashing-256'"):
        AnnVectorStore.load(tmp_path / "idx", HashingEmbeddings(128))


def test_load_reports_missing_and_damaged_indexes(tmp_path: Path, hashing):
    with pytest.raises(IndexNotFoundError, match="no index at"):
        AnnVectorStore.load(tmp_path / "nothing", hashing)
    _store(hashing).save(tmp_path / "idx")
    manifest = json.loads((tmp_path / "idx" / MANIFEST).read_text())
    (tmp_path / "idx" / manifest["generation"] / "index.faiss").write_bytes(b"garbage")
    with pytest.raises(IndexFormatError, match="index idx is damaged .*index.faiss is missing or does not match"):
        AnnVectorStore.load(tmp_path / "idx", hashing)
    (tmp_path / "idx" / MANIFEST).write_text(json.dumps({**manifest, "format_version": 99}))
    with pytest.raises(IndexFormatError, match="reads ragkit-index up to v2"):
        AnnVectorStore.load(tmp_path / "idx", hashing)


def test_a_failed_save_leaves_the_previous_index_intact(tmp_path: Path, hashing, monkeypatch):
    store = _store(hashing)
    store.save(tmp_path / "idx")
    store.add_texts(["a brand new text"], [{"source": "new.txt"}], ids=["new"])

    def broken(path):
        raise OSError("disk full")

    monkeypatch.setattr(store.docstore, "save_to", broken)
    with pytest.raises(OSError, match="disk full"):
        store.save(tmp_path / "idx")
    loaded = AnnVectorStore.load(tmp_path / "idx", hashing)
    assert len(loaded) == len(TEXTS) and loaded.get_by_ids(["new"]) == []
    assert not [p for p in (tmp_path / "idx").iterdir() if p.name.startswith(".staging")]


def test_delete_by_source_and_filtered_search_returns_k(hashing):
    store = _store(hashing)
    assert store.delete_by_source("s0.txt") == 2
    assert {d.metadata["source"] for d in store.similarity_search("cats", k=4)} == {"s1.txt"}
    big = AnnVectorStore(hashing)
    big.add_texts([f"common words text {i}" for i in range(300)], [{"group": i % 30} for i in range(300)])
    hits = big.similarity_search("common words", k=8, filter={"group": 7})
    assert len(hits) == 8 and {d.metadata["group"] for d in hits} == {7}


def test_settings_and_backend_are_recorded_in_the_manifest(tmp_path: Path, hashing):
    store = _store(hashing)
    settings = {"chunk_tokens": 100, "factory": "Flat", "splitter": {"overlap": 16}, "语言": "中文"}
    store.save(tmp_path / "idx", settings=settings)
    manifest = read_manifest(tmp_path / "idx")
    assert manifest.settings == settings and manifest.backend == "faiss"
    loaded = AnnVectorStore.load(tmp_path / "idx", hashing)
    assert loaded.settings == settings
    loaded.add_texts(["one more"], ids=["more"])
    loaded.save(tmp_path / "idx")  # None keeps the loaded settings
    assert read_manifest(tmp_path / "idx").settings == settings
    loaded.save(tmp_path / "idx", settings={})
    assert read_manifest(tmp_path / "idx").settings == {}


def test_settings_must_be_a_json_object(tmp_path: Path, hashing):
    with pytest.raises(InvalidInputError, match="settings must be a JSON object"):
        _store(hashing).save(tmp_path / "idx", settings={"path": Path("x")})
    assert not (tmp_path / "idx" / MANIFEST).exists()
