"""Upsert, delete (by id and by source), persistence and filtered search on every FAISS index type."""

from pathlib import Path

import numpy as np
import pytest

from ragkit.embeddings import HashingEmbeddings
from ragkit.store import AnnVectorStore

pytestmark = pytest.mark.unit

FACTORIES = ["Flat", "IVF8,Flat", "HNSW16", "IVF8,SQ8", "IVF8,PQ16x4"]
N, DIM = 400, 64


def _vectors(n: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, DIM)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def _store(factory: str) -> tuple[AnnVectorStore, np.ndarray]:
    store = AnnVectorStore(HashingEmbeddings(DIM), factory)
    vectors = _vectors(N, seed=1)
    ids = [f"d{i}" for i in range(N)]
    store.add_vectors(vectors, [f"text {i}" for i in ids], [{"source": f"s{i % 10}"} for i in range(N)], ids)
    return store, vectors


def _top(store: AnnVectorStore, vector: np.ndarray, k: int = 1, **kwargs: object) -> list[str]:
    return [doc.id for doc, _ in store.similarity_search_with_score_by_vector(vector, k, **kwargs)]


def _edit(store: AnnVectorStore) -> tuple[set[str], np.ndarray]:
    """Delete 50 ids and one source, upsert d100 with a new vector; return the deleted ids and d100's vector."""
    store.delete([f"d{i}" for i in range(50)])
    assert store.delete_by_source("s3") == 35
    new = _vectors(1, seed=2)
    store.add_vectors(new, ["replaced"], [{"source": "s0"}], ["d100"])
    return {f"d{i}" for i in range(50)} | {f"d{i}" for i in range(50, N) if i % 10 == 3}, new[0]


def _check_self_retrieval(store: AnnVectorStore, vectors: np.ndarray, deleted: set[str], new: np.ndarray) -> None:
    assert len(store) == N - len(deleted)
    for i in range(N):
        found = _top(store, vectors[i], k=3)
        if f"d{i}" in deleted:
            assert f"d{i}" not in found
        elif i != 100:
            assert found[0] == f"d{i}"
    assert _top(store, new) == ["d100"]
    assert store.get_by_ids(["d100"])[0].page_content == "replaced"
    assert "d100" not in _top(store, vectors[100], k=1)


@pytest.mark.parametrize("factory", FACTORIES)
def test_delete_and_upsert_keep_self_retrieval(factory: str) -> None:
    store, vectors = _store(factory)
    deleted, new = _edit(store)
    _check_self_retrieval(store, vectors, deleted, new)


@pytest.mark.parametrize("factory", FACTORIES)
def test_edits_survive_save_and_load(factory: str, tmp_path: Path) -> None:
    store, vectors = _store(factory)
    deleted, new = _edit(store)
    store.save(tmp_path / "index")
    loaded = AnnVectorStore.load(tmp_path / "index", HashingEmbeddings(DIM))
    assert loaded.factory == factory
    _check_self_retrieval(loaded, vectors, deleted, new)


@pytest.mark.parametrize("factory", FACTORIES)
def test_filtered_search_returns_k_when_k_match(factory: str) -> None:
    store, vectors = _store(factory)
    store.delete(["d7", "d17"])  # 38 chunks of s7 remain
    query = vectors[0]  # a chunk of s0: its neighbourhood holds few s7 chunks
    hits = store.similarity_search_with_score_by_vector(query, 30, filter={"source": "s7"})
    assert len(hits) == 30
    assert {doc.metadata["source"] for doc, _ in hits} == {"s7"}
    assert not {"d7", "d17"} & {doc.id for doc, _ in hits}
    everything = store.similarity_search_with_score_by_vector(query, 100, filter={"source": ["s7", "s8"]})
    assert len(everything) == 78


@pytest.mark.parametrize("factory", FACTORIES)
def test_a_store_emptied_then_refilled_searches_saves_and_loads(factory: str, tmp_path: Path) -> None:
    """Issue 14: an emptied HNSW store (every vector a tombstone) lost its docstore on save, then never loaded."""
    store, vectors = _store(factory)
    store.delete([f"d{i}" for i in range(N)])
    assert len(store) == 0 and _top(store, vectors[0]) == []
    store.save(tmp_path / "empty")
    emptied = AnnVectorStore.load(tmp_path / "empty", HashingEmbeddings(DIM))
    assert len(emptied) == 0 and emptied.factory == factory
    emptied.add_vectors(vectors[7:8], ["back again"], [{"source": "s7"}], ["again"])
    assert _top(emptied, vectors[7], k=3) == ["again"]
    emptied.save(tmp_path / "refilled")
    refilled = AnnVectorStore.load(tmp_path / "refilled", HashingEmbeddings(DIM))
    assert len(refilled) == 1 and _top(refilled, vectors[7], k=3) == ["again"]
    assert refilled.get_by_ids(["again"])[0].page_content == "back again"


def test_search_parameters_are_exposed() -> None:
    ivf, vectors = _store("IVF8,Flat")
    ivf.index.set_search_params(nprobe=8, ef_search=99)
    assert ivf.index.search_params() == {"nprobe": 8}
    hnsw, _ = _store("HNSW16")
    hnsw.index.set_search_params(ef_search=77)
    assert hnsw.index.search_params() == {"ef_search": 77}
    assert _top(hnsw, vectors[5]) == ["d5"]


def test_langchain_faiss_corrupts_ivf_on_delete_while_ragkit_does_not() -> None:
    """LangChain's FAISS renumbers its id map after remove_ids, which only Flat indexes compact: on IVF the
    surviving vectors then map to the wrong documents (or to none)."""
    faiss = pytest.importorskip("faiss")
    community = pytest.importorskip("langchain_community.vectorstores")
    from langchain_community.docstore.in_memory import InMemoryDocstore

    embeddings = HashingEmbeddings(DIM)
    vectors = _vectors(N, seed=3)
    texts = [f"text {i}" for i in range(N)]
    ids = [f"d{i}" for i in range(N)]
    index = faiss.index_factory(DIM, "IVF8,Flat", faiss.METRIC_INNER_PRODUCT)
    index.train(vectors)
    peer = community.FAISS(embeddings, index, InMemoryDocstore(), {})
    peer.add_embeddings(list(zip(texts, vectors.tolist())), ids=ids)
    ours = AnnVectorStore(embeddings, "IVF8,Flat")
    ours.add_vectors(vectors, texts, None, ids)
    peer.delete(ids[:50])
    ours.delete(ids[:50])

    def wrong(search: object) -> int:
        count = 0
        for i in range(50, N):
            try:
                found = search(vectors[i].tolist(), k=1)  # type: ignore[operator]
                count += not found or found[0].page_content != texts[i]
            except KeyError:  # LangChain's map has no entry for a surviving FAISS id
                count += 1
        return count

    assert wrong(ours.similarity_search_by_vector) == 0
    assert wrong(peer.similarity_search_by_vector) > (N - 50) // 2


@pytest.mark.parametrize(("size", "factory"), [(1_000, "Flat"), (100_000, "IVF1216,Flat"),
                                               (1_000_000, "IVF3968,SQ8"), (10_000_000, "IVF12608,PQ48")])
def test_auto_factory_by_corpus_size(size, factory):
    from ragkit.store import auto_factory

    assert auto_factory(size) == factory
