"""Ranking metrics as BEIR reports them (trec_eval definitions): nDCG@k, Recall@k and MRR@k; OCR's character
error rate.

Hand-written because they are a few lines each and a dependency (pytrec_eval) would need a C build.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

Qrels = Mapping[str, Mapping[str, int]]
"""query id -> {document id: graded relevance}; grades <= 0 count as not relevant."""
Run = Mapping[str, Sequence[str]]
"""query id -> document ids, best first."""


def ndcg_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Normalized discounted cumulative gain with linear gains (trec_eval's ndcg_cut)."""
    dcg = sum(max(relevant.get(doc, 0), 0) / math.log2(rank + 2) for rank, doc in enumerate(_unique(ranked)[:k]))
    ideal = sorted((g for g in relevant.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Share of the relevant documents found in the top k."""
    wanted = {doc for doc, g in relevant.items() if g > 0}
    return len(wanted.intersection(_unique(ranked)[:k])) / len(wanted) if wanted else 0.0


def mrr_at_k(ranked: Sequence[str], relevant: Mapping[str, int], k: int) -> float:
    """Reciprocal rank of the first relevant document within the top k (0 if none)."""
    for rank, doc in enumerate(_unique(ranked)[:k]):
        if relevant.get(doc, 0) > 0:
            return 1.0 / (rank + 1)
    return 0.0


METRICS = {"ndcg": ndcg_at_k, "recall": recall_at_k, "mrr": mrr_at_k}
DEFAULT_CUTOFFS = (("ndcg", 10), ("recall", 10), ("recall", 100), ("mrr", 10))


def evaluate(run: Run, qrels: Qrels, cutoffs: Iterable[tuple[str, int]] = DEFAULT_CUTOFFS) -> dict[str, float]:
    """Mean of each metric over the judged queries that have a relevant document (missing runs score 0)."""
    queries = [q for q, rel in qrels.items() if any(g > 0 for g in rel.values())]
    if not queries:
        raise ValueError("the relevance judgments contain no relevant document")
    return {
        f"{name}@{k}": sum(METRICS[name](run.get(q, ()), qrels[q], k) for q in queries) / len(queries)
        for name, k in cutoffs
    }


def _unique(ranked: Sequence[str]) -> list[str]:
    """Ranking without repeats (a document found twice, e.g. through two chunks, counts at its best rank)."""
    return list(dict.fromkeys(ranked))


def character_error_rate(hypothesis: str, reference: str) -> float:
    """Edits (insertions, deletions, substitutions) from hypothesis to reference per reference character, all
    whitespace removed first (OCR's spacing of Chinese text is not an error). Hand-written: one small DP."""
    hyp, ref = "".join(hypothesis.split()), "".join(reference.split())
    previous = list(range(len(hyp) + 1))
    for i, ch in enumerate(ref, start=1):
        current = [i]
        for j, other in enumerate(hyp, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ch != other)))
        previous = current
    return previous[-1] / max(len(ref), 1)
