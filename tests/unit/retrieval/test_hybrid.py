"""Fusion of rankings: weighted RRF, normalized score fusion, grouping chunks by document, filters."""

import pytest
from langchain_core.documents import Document

from ragkit.embeddings import HashingEmbeddings
from ragkit.retrieval import BM25Retriever, DenseRetriever, HybridRetriever, fuse
from ragkit.store import AnnVectorStore

pytestmark = pytest.mark.unit


def _docs(*pairs: tuple[str, float], source: str | None = None) -> list[Document]:
    return [Document(page_content=i, id=i, metadata={"score": s, "source": source or i[0]}) for i, s in pairs]


def test_rrf_hand_computed() -> None:
    a = _docs(("x", 9), ("y", 8))
    b = _docs(("y", 1), ("z", 0.5))
    fused = fuse([a, b], method="rrf", rrf_k=60)
    assert [d.id for d in fused] == ["y", "x", "z"]
    assert fused[0].metadata["score"] == pytest.approx(1 / 62 + 1 / 61)


def test_weights_shift_the_winner() -> None:
    a = _docs(("x", 1.0), ("y", 0.0))
    b = _docs(("y", 1.0), ("x", 0.0))
    assert fuse([a, b], [0.7, 0.3], method="score")[0].id == "x"
    assert fuse([a, b], [0.3, 0.7], method="score")[0].id == "y"
    assert fuse([a, b], [0.3, 0.7], method="rrf")[0].id == "y"


def test_score_fusion_normalizes_each_ranking() -> None:
    a = _docs(("x", 100.0), ("y", 50.0), ("z", 0.0))  # BM25-like scale
    b = _docs(("z", 0.9), ("y", 0.85), ("x", 0.1))  # cosine-like scale
    fused = {d.id: d.metadata["score"] for d in fuse([a, b], method="score")}
    assert fused == pytest.approx({"x": 1.0, "y": 0.5 + 0.75 / 0.8, "z": 1.0})


def test_group_by_scores_a_document_by_its_best_chunk() -> None:
    a = [Document(page_content=t, id=t, metadata={"score": s, "source": t[0]})
         for t, s in [("a1", 0.9), ("a2", 0.8), ("b1", 0.7)]]
    fused = fuse([a], method="rrf", group_by="source")
    assert [d.id for d in fused] == ["a1", "b1"]


def test_hybrid_retriever_applies_filter_and_k() -> None:
    texts = [f"apple orchard report {i}" for i in range(20)] + [f"banana plantation note {i}" for i in range(20)]
    metadatas = [{"source": "apple.md" if i < 20 else "banana.md"} for i in range(40)]
    store = AnnVectorStore.from_texts(texts, HashingEmbeddings(64), metadatas)
    hybrid = HybridRetriever(retrievers=[DenseRetriever(store=store), BM25Retriever(store=store)], k=6, fetch_k=8,
                             filter={"source": "banana.md"})
    docs = hybrid.invoke("apple orchard")
    assert len(docs) == 6
    assert {d.metadata["source"] for d in docs} == {"banana.md"}


def test_hybrid_rejects_mismatched_weights() -> None:
    store = AnnVectorStore(HashingEmbeddings(16))
    with pytest.raises(ValueError, match="2 retrievers"):
        HybridRetriever(retrievers=[DenseRetriever(store=store), BM25Retriever(store=store)], weights=[1.0])


def test_default_hybrid_loads_saved_bm25_and_finds_keyword_only_matches(tmp_path) -> None:
    from ragkit.retrieval import hybrid_retriever, save_bm25

    texts = [f"ordinary filler sentence number {i}" for i in range(30)] + ["The XK-9 valve needs torque 42."]
    store = AnnVectorStore.from_texts(texts, HashingEmbeddings(64), [{"source": "m.md"}] * 31)
    store.save(tmp_path)
    save_bm25(store, tmp_path)
    retriever = hybrid_retriever(store, tmp_path, k=3)
    assert retriever.retrievers[1].index is not None
    assert retriever.invoke("valve torque")[0].page_content.startswith("The XK-9")
