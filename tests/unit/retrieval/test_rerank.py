"""Reranking with a pluggable pair scorer."""

import pytest

from ragkit.embeddings import HashingEmbeddings
from ragkit.retrieval import CrossEncoderReranker, DenseRetriever, RerankingRetriever
from ragkit.store import AnnVectorStore

pytestmark = pytest.mark.unit


class LengthScorer:
    """A stand-in cross-encoder: prefers shorter passages."""

    def predict(self, pairs: list[tuple[str, str]]) -> list[float]:
        return [-float(len(passage)) for _, passage in pairs]


def test_reranker_reorders_candidates_and_keeps_top_k() -> None:
    texts = ["tea " * n + "leaves" for n in range(1, 9)]
    store = AnnVectorStore.from_texts(texts, HashingEmbeddings(64), ids=[f"t{n}" for n in range(1, 9)])
    retriever = RerankingRetriever(retriever=DenseRetriever(store=store),
                                   reranker=CrossEncoderReranker(model=LengthScorer(), top_n=3), fetch_k=8)
    docs = retriever.invoke("tea leaves")
    assert [d.id for d in docs] == ["t1", "t2", "t3"]
    assert docs[0].metadata["rerank_score"] == -len(texts[0])


def test_reranker_accepts_a_plain_function() -> None:
    reranker = CrossEncoderReranker(model=lambda pairs: [1.0 if "b" in p else 0.0 for _, p in pairs], top_n=1)
    from langchain_core.documents import Document

    assert reranker.compress_documents([Document("a"), Document("b")], "q")[0].page_content == "b"
