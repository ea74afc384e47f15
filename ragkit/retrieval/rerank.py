"""Optional reranking stage: a cross-encoder (or any pair scorer) reorders a retriever's candidates.

No model ships with ragkit: train one on your data (`ragkit finetune reranker`, a directory with
ragkit-reranker.json) and load it with `load_cross_encoder`, or pass any `predict(pairs)` object or function.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun, Callbacks
from langchain_core.documents import BaseDocumentCompressor, Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ragkit.digests import file_sha256
from ragkit.errors import ModelError, reject_unknown_options

PairScorer = Callable[[list[tuple[str, str]]], Sequence[float]]
"""Scores (query, passage) pairs, higher is more relevant."""
RERANKER_FILE = "ragkit-reranker.json"
"""What a trained reranker directory is (base model, training facts), beside the CrossEncoder's own files."""


def describe_reranker(directory: str | Path) -> dict[str, Any]:
    """Path, sha256 of the weights and training facts of a reranker directory; ModelError if it is none."""
    directory = Path(directory)
    path = directory / RERANKER_FILE
    try:
        facts = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"{directory} is not a reranker written by `ragkit finetune reranker` ({exc})") from None
    weights = next((p for p in (directory / "model.safetensors", directory / "pytorch_model.bin") if p.is_file()), None)
    if weights is None:
        raise ModelError(f"reranker {directory} has no model.safetensors")
    return {"path": str(directory), "sha256": file_sha256(weights), "base": facts.get("base"),
            "groups": facts.get("groups"), "seconds": facts.get("seconds")}


@functools.lru_cache(maxsize=2)
def load_cross_encoder(directory: str) -> Any:
    """A trained reranker directory as a sentence-transformers CrossEncoder, loaded once per process."""
    describe_reranker(directory)
    from sentence_transformers import CrossEncoder

    try:
        return CrossEncoder(directory, device="cpu", local_files_only=True)
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot load reranker {directory}: {exc}") from exc


class CrossEncoderReranker(BaseDocumentCompressor):
    """Keeps the top_n documents by a cross-encoder's score, stored in metadata['rerank_score']."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    model: Any
    """A sentence-transformers CrossEncoder (anything with `predict(pairs)`) or a PairScorer function."""
    top_n: int = 4
    """How many documents to keep."""
    weight: float = 1.0
    """Share of the cross-encoder in the order: weight x its min-max normalized score + (1 - weight) x the
    retriever's normalized metadata['score']; 1.0 orders by the cross-encoder alone."""

    def compress_documents(self, documents: Sequence[Document], query: str,
                           callbacks: Callbacks | None = None) -> Sequence[Document]:
        if not documents:
            return []
        pairs = [(query, d.page_content) for d in documents]
        score = self.model.predict if hasattr(self.model, "predict") else self.model
        scores = np.asarray([float(s) for s in score(pairs)])
        first = np.asarray([float(d.metadata.get("score", 0.0)) for d in documents])
        order = self.weight * _normalized(scores) + (1 - self.weight) * _normalized(first)
        ranked = sorted(range(len(documents)), key=lambda i: -order[i])[: self.top_n]
        return [
            Document(page_content=documents[i].page_content,
                     metadata={**documents[i].metadata, "rerank_score": float(scores[i])}, id=documents[i].id)
            for i in ranked
        ]


def reranking(retriever: BaseRetriever, directory: str, n: int, weight: float, k: int) -> RerankingRetriever:
    """The retriever's top n reordered by the trained cross-encoder in `directory` (weight: its share), top k kept."""
    reranker = CrossEncoderReranker(model=load_cross_encoder(str(directory)), top_n=n, weight=weight)
    return RerankingRetriever(retriever=retriever, reranker=reranker, fetch_k=n, k=k)


def _normalized(scores: np.ndarray) -> np.ndarray:
    spread = scores.max() - scores.min()
    return (scores - scores.min()) / spread if spread > 0 else np.ones_like(scores)


class RerankingRetriever(BaseRetriever):
    """A retriever whose first `fetch_k` candidates are reordered by a reranker; with `k` above `fetch_k` the
    retriever's further candidates follow in its own order (an evaluation ranks 100 documents, reranks 20)."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    retriever: BaseRetriever
    reranker: BaseDocumentCompressor
    fetch_k: int = 20
    """Candidates reranked (the retriever is asked for max(fetch_k, k))."""
    k: int | None = None
    """Documents returned; None: what the reranker keeps of the fetch_k."""

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                **kwargs: Any) -> list[Document]:
        reject_unknown_options("RerankingRetriever", kwargs, ("k", "filter"))
        options = {"filter": kwargs["filter"]} if "filter" in kwargs else {}
        k = kwargs.get("k", self.k)
        candidates = self.retriever.invoke(query, config={"callbacks": run_manager.get_child()},
                                           k=max(self.fetch_k, k or 0), **options)
        reranked = list(self.reranker.compress_documents(candidates[: self.fetch_k], query,
                                                         callbacks=run_manager.get_child()))
        return (reranked + candidates[self.fetch_k :])[: k or len(reranked)]
