"""Hybrid retrieval: fuse the rankings of several retrievers (e.g. dense + BM25) with per-retriever weights.

Two fusion methods: weighted reciprocal rank fusion, and weighted sum of per-query normalized scores
("score" fusion). The defaults were chosen on SciFact's train split (benchmarks/retrieval_quality.py).
Hand-written because LangChain's EnsembleRetriever only does RRF and cannot collapse chunks into documents.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict, model_validator

from ragkit.errors import reject_unknown_options
from ragkit.retrieval.bm25 import BM25Retriever, load_bm25
from ragkit.retrieval.dense import DenseRetriever
from ragkit.store import AnnVectorStore

Fusion = Literal["rrf", "score"]
MIN_COVERAGE = 0.3
"""A coverage (BM25Index.coverage) to opt into (RefusalSettings.min_coverage), chosen on SQuAD part A (3 folds of
18 articles as files, 432 answerable and 144 out-of-KB questions, benchmarks/answer_quality.py --refusal): with
MiniLM's 0.25 cosine threshold it refuses 48.6% of out-of-KB questions instead of 13.9%, and 1.4% of answerable
ones instead of 0%; on the Chinese set (tests/data/zh) 10 of 12 unanswerable and none of 33 answerable. Not a
default: on a small knowledge base a question in other words than its passage is refused ("Where must I keep my
passwords?" over examples/kb, whose passage says "use the company password manager")."""
COVERAGE_WEIGHT = 0.6
"""Weight of the best window coverage (BM25Index.window_coverage) in a question's relevance (best dense cosine +
COVERAGE_WEIGHT x coverage, HybridRetriever.relevance): the ratio of the two in a logistic regression telling
answerable from out-of-KB SQuAD questions (0.52), rounded up to favour wording unlike the passage's."""
DEFAULT_FUSION: dict[str, Any] = {"method": "score", "weights": [0.5, 0.5]}
"""Fusion of the default (dense, BM25) hybrid, chosen on SciFact train (benchmarks/retrieval_quality.py):
nDCG@10 0.739 vs RRF 0.723, dense 0.686, BM25 0.690; dense weights 0.4-0.5 were best."""


class HybridRetriever(BaseRetriever):
    """Fuses the top `fetch_k` of each retriever into one top-k; Documents carry the fused score in metadata."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    retrievers: list[BaseRetriever]
    """Retrievers to fuse; each gets `k=fetch_k` and the filter as invoke arguments."""
    weights: list[float] | None = None
    """One weight per retriever (default: equal)."""
    method: Fusion = "score"
    """'rrf': sum of weight / (rrf_k + rank); 'score': sum of weight * min-max normalized score."""
    rrf_k: int = 60
    """RRF's rank offset."""
    k: int = 4
    """How many fused chunks to return."""
    fetch_k: int = 50
    """How many candidates to take from each retriever."""
    filter: dict[str, Any] | None = None
    """Metadata filter passed to every retriever (each applies it inside its search)."""
    group_by: str | None = None
    """Metadata key (e.g. 'source'): keep each retriever's best chunk per group, so long documents are scored
    by their best chunk and returned once."""
    gate: int | None = None
    """Index of a retriever that must find something (e.g. the thresholded dense one), else nothing is returned:
    keyword matches alone do not make an off-topic question answerable."""
    scores: bool = False
    """Stamp each returned Document's metadata with 'coverage' (the share of the question's terms, weighted by
    rarity, the returned chunks contain: BM25Index.coverage) and 'relevance' (see `relevance`), for the refusal
    checks (ragkit.chains.refusal), which decide on them; needs a BM25Retriever (and for relevance a
    DenseRetriever) among the retrievers."""
    slips: bool = True
    """With `scores`, a misspelt question term counts as the passage term it misspells (ragkit.text.slip_of)."""

    @model_validator(mode="after")
    def _check(self) -> HybridRetriever:
        if not self.retrievers:
            raise ValueError("HybridRetriever needs at least one retriever")
        if self.weights is not None and len(self.weights) != len(self.retrievers):
            raise ValueError(f"got {len(self.weights)} weights for {len(self.retrievers)} retrievers")
        if self.scores and (self._dense() is None or self._sparse() is None):
            raise ValueError("scores needs a DenseRetriever and a BM25Retriever among the retrievers")
        return self

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                **kwargs: Any) -> list[Document]:
        reject_unknown_options("HybridRetriever", kwargs, ("k", "fetch_k", "filter"))
        options = {"k": kwargs.get("fetch_k", self.fetch_k), "filter": kwargs.get("filter", self.filter)}
        child = run_manager.get_child()
        rankings = [r.invoke(query, config={"callbacks": child}, **options) for r in self.retrievers]
        if self.gate is not None and not rankings[self.gate]:
            return []
        found = fuse(rankings, self.weights, self.method, self.rrf_k, self.group_by)[: kwargs.get("k", self.k)]
        if not self.scores or not found:
            return found
        stamped = {"coverage": self.coverage(query, found), "relevance": self.relevance(query, rankings, found)}
        return [Document(d.page_content, metadata={**d.metadata, **stamped}, id=d.id) for d in found]

    def coverage(self, query: str, docs: Sequence[Document]) -> float:
        """BM25Index.coverage of the query by the documents, by the first BM25 retriever's index (1.0 without)."""
        sparse = self._sparse()
        texts = [d.page_content for d in docs]
        return 1.0 if sparse is None else sparse.current().coverage(query, texts, self.slips)

    def relevance(self, query: str, rankings: Sequence[Sequence[Document]], found: Sequence[Document]) -> float:
        """Best dense cosine (the first DenseRetriever's ranking) + COVERAGE_WEIGHT x the best window coverage of
        the query by the found chunks (the first BM25Retriever's index)."""
        dense, sparse = self._dense(), self._sparse()
        assert dense is not None and sparse is not None  # checked when built
        cosine = float(rankings[dense][0].metadata["score"]) if rankings[dense] else 0.0
        coverage = sparse.current().window_coverage(query, [d.page_content for d in found], self.slips)
        return cosine + COVERAGE_WEIGHT * coverage

    def _dense(self) -> int | None:
        """Position of the first DenseRetriever (its ranking holds the cosines)."""
        return next((i for i, r in enumerate(self.retrievers) if isinstance(r, DenseRetriever)), None)

    def _sparse(self) -> BM25Retriever | None:
        return next((r for r in self.retrievers if isinstance(r, BM25Retriever)), None)


def hybrid_retriever(store: AnnVectorStore, directory: str | Path | None = None, *, k: int = 4,
                     score_threshold: float | None = None, filter: dict[str, Any] | None = None,
                     scores: bool = False, slips: bool = True, **fusion: Any) -> HybridRetriever:
    """ragkit's default retriever: dense + BM25 (loaded from the index directory when saved there) fused with
    DEFAULT_FUSION; `score_threshold` drops weak dense hits, and with none left the retriever returns nothing;
    `scores` stamps the coverage and relevance the refusal checks read (HybridRetriever.scores)."""
    index = load_bm25(store, directory) if directory is not None else None
    retrievers: list[BaseRetriever] = [DenseRetriever(store=store, score_threshold=score_threshold),
                                       BM25Retriever(store=store, index=index)]
    gate = 0 if score_threshold is not None else None
    return HybridRetriever(retrievers=retrievers, k=k, filter=filter, gate=gate, scores=scores, slips=slips,
                           **{**DEFAULT_FUSION, **fusion})


def fuse(rankings: Sequence[Sequence[Document]], weights: Sequence[float] | None = None, method: Fusion = "score",
         rrf_k: int = 60, group_by: str | None = None) -> list[Document]:
    """One ranking from several, best first; metadata['score'] of each input is used by 'score' fusion."""
    weights = list(weights) if weights is not None else [1.0] * len(rankings)
    fused: dict[str, float] = {}
    first: dict[str, Document] = {}
    for weight, ranking in zip(weights, rankings):
        ranking = _best_per_group(ranking, group_by) if group_by else list(ranking)
        for key, doc, part in zip(_keys(ranking, group_by), ranking, _contributions(ranking, method, rrf_k)):
            fused[key] = fused.get(key, 0.0) + weight * float(part)
            first.setdefault(key, doc)
    order = sorted(fused, key=lambda key: -fused[key])
    return [_with_score(first[key], fused[key]) for key in order]


def _contributions(ranking: Sequence[Document], method: Fusion, rrf_k: int) -> np.ndarray:
    if method == "rrf":
        return 1.0 / (rrf_k + 1 + np.arange(len(ranking)))
    scores = np.asarray([float(d.metadata.get("score", 0.0)) for d in ranking], dtype=np.float64)
    if len(scores) == 0:
        return scores
    spread = scores.max() - scores.min()
    return (scores - scores.min()) / spread if spread > 0 else np.ones_like(scores)


def _keys(ranking: Sequence[Document], group_by: str | None) -> list[str]:
    if group_by:
        return [str(d.metadata.get(group_by, d.id)) for d in ranking]
    return [d.id or d.page_content for d in ranking]


def _best_per_group(ranking: Sequence[Document], group_by: str) -> list[Document]:
    seen: set[str] = set()
    best = []
    for doc, key in zip(ranking, _keys(ranking, group_by)):
        if key not in seen:
            seen.add(key)
            best.append(doc)
    return best


def _with_score(doc: Document, score: float) -> Document:
    return Document(page_content=doc.page_content, metadata={**doc.metadata, "score": score}, id=doc.id)
