"""Per-call options: every retriever takes its known ones (k, filter, ...) and refuses any other instead of
dropping it."""

from collections.abc import Callable

import pytest
from langchain_core.retrievers import BaseRetriever

from ragkit.embeddings import HashingEmbeddings
from ragkit.retrieval import (
    BM25Retriever,
    CrossEncoderReranker,
    DenseRetriever,
    HybridRetriever,
    RerankingRetriever,
)
from ragkit.store import AnnVectorStore

pytestmark = pytest.mark.unit

TEXTS = ["tea leaves from Yunnan", "green tea in Hangzhou", "coffee beans from Kenya", "black tea with milk"]


@pytest.fixture()
def store() -> AnnVectorStore:
    metadatas = [{"source": "tea.md" if "tea" in t else "coffee.md"} for t in TEXTS]
    return AnnVectorStore.from_texts(TEXTS, HashingEmbeddings(64), metadatas, ids=[f"d{i}" for i in range(4)])


def _dense(store: AnnVectorStore) -> BaseRetriever:
    return DenseRetriever(store=store)


def _bm25(store: AnnVectorStore) -> BaseRetriever:
    return BM25Retriever(store=store)


def _hybrid(store: AnnVectorStore) -> BaseRetriever:
    return HybridRetriever(retrievers=[DenseRetriever(store=store), BM25Retriever(store=store)])


def _reranking(store: AnnVectorStore) -> BaseRetriever:
    scorer = CrossEncoderReranker(model=lambda pairs: [-float(len(p)) for _, p in pairs], top_n=4)
    return RerankingRetriever(retriever=DenseRetriever(store=store), reranker=scorer, fetch_k=4)


RETRIEVERS = [_dense, _bm25, _hybrid, _reranking]


@pytest.mark.parametrize("make", RETRIEVERS)
def test_known_options_apply(make: Callable[[AnnVectorStore], BaseRetriever], store: AnnVectorStore) -> None:
    docs = make(store).invoke("tea", k=1, filter={"source": "tea.md"})
    assert len(docs) == 1 and docs[0].metadata["source"] == "tea.md"


@pytest.mark.parametrize("make", RETRIEVERS)
def test_unknown_options_raise(make: Callable[[AnnVectorStore], BaseRetriever], store: AnnVectorStore) -> None:
    with pytest.raises(TypeError, match="unknown keyword argument.*'filters'.*it takes .*filter"):
        make(store).invoke("tea", filters={"source": "tea.md"})


def test_hybrid_takes_fetch_k_per_call(store: AnnVectorStore) -> None:
    retriever = HybridRetriever(retrievers=[DenseRetriever(store=store)], fetch_k=1, k=4)
    assert len(retriever.invoke("tea")) == 1
    assert len(retriever.invoke("tea", fetch_k=3)) == 3
