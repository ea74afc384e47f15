"""Optional reranking stage: a cross-encoder (or any pair scorer) reorders a retriever's candidates.

No default model ships with ragkit; pass e.g. `sentence_transformers.CrossEncoder(path)` or a function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun, Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ragkit.errors import reject_unknown_options

PairScorer = Callable[[list[tuple[str, str]]], Sequence[float]]
"""Scores (query, passage) pairs, higher is more relevant."""


class CrossEncoderReranker(BaseDocumentCompressor):
    """Keeps the top_n documents by a cross-encoder's score, stored in metadata['rerank_score']."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    model: Any
    """A sentence-transformers CrossEncoder (anything with `predict(pairs)`) or a PairScorer function."""
    top_n: int = 4
    """How many documents to keep."""

    def compress_documents(self, documents: Sequence[Document], query: str,
                           callbacks: Callbacks | None = None) -> Sequence[Document]:
        if not documents:
            return []
        pairs = [(query, d.page_content) for d in documents]
        score = self.model.predict if hasattr(self.model, "predict") else self.model
        scores = [float(s) for s in score(pairs)]
        ranked = sorted(zip(scores, range(len(documents))), key=lambda pair: -pair[0])[: self.top_n]
        return [
            Document(page_content=documents[i].page_content, metadata={**documents[i].metadata, "rerank_score": s},
                     id=documents[i].id)
            for s, i in ranked
        ]


class RerankingRetriever(BaseRetriever):
    """A retriever whose `fetch_k` candidates are reordered by a reranker, returning its top k."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    retriever: BaseRetriever
    reranker: BaseDocumentCompressor
    fetch_k: int = 20
    """Candidates taken from the retriever (passed to it as `k`)."""

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                **kwargs: Any) -> list[Document]:
        reject_unknown_options("RerankingRetriever", kwargs, ("k", "filter"))
        options = {"filter": kwargs["filter"]} if "filter" in kwargs else {}
        candidates = self.retriever.invoke(query, config={"callbacks": run_manager.get_child()},
                                           k=self.fetch_k, **options)
        reranked = self.reranker.compress_documents(candidates, query, callbacks=run_manager.get_child())
        return list(reranked)[: kwargs.get("k", len(reranked))]
