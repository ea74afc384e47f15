"""Real MiniLM + BM25 on a SciFact train subset: the default hybrid ranks at least as well as either retriever."""

from pathlib import Path

import pytest

from ragkit.eval.beir import BeirDataset, load_beir
from ragkit.eval.retrieval import default_retrievers, evaluate_retrievers, index_corpus

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def _subset(data: BeirDataset, queries: int = 60, distractors: int = 240) -> BeirDataset:
    """The first judged queries, their relevant documents and a fixed set of other documents."""
    chosen = dict(list(data.queries.items())[:queries])
    qrels = {q: data.qrels[q] for q in chosen}
    wanted = {d for rel in qrels.values() for d in rel} | set(list(data.corpus)[:distractors])
    return BeirDataset({d: data.corpus[d] for d in wanted}, chosen, qrels)


def test_default_hybrid_beats_dense_and_bm25(data_dir: Path, minilm) -> None:
    data = _subset(load_beir(data_dir / "scifact", "train"))
    results = evaluate_retrievers(data, default_retrievers(index_corpus(data, minilm)))
    ndcg = {name: scores["ndcg@10"] for name, scores in results.items()}
    assert ndcg["dense"] > 0.5 and ndcg["bm25"] > 0.5
    assert ndcg["hybrid"] >= max(ndcg["dense"], ndcg["bm25"]) - 0.01, ndcg
