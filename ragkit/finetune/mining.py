"""Hard negatives: passages the base retrievers (BM25 and dense) rank high for a query that are not judged relevant.

They teach a model the distinctions it gets wrong today; the very top ranks are skipped because an unjudged passage
ranked first is often relevant after all (a false negative).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from ragkit.eval.beir import BeirDataset
from ragkit.retrieval import BM25Retriever, DenseRetriever, HybridRetriever, build_bm25
from ragkit.store import AnnVectorStore

Triple = tuple[str, str, str]
"""(query, relevant passage, hard negative passage)."""


@dataclass(frozen=True)
class MiningSettings:
    """Where in the base rankings negatives come from."""

    skip: int = 3
    """Top ranks of each ranking left out (possible false negatives)."""
    depth: int = 30
    """Ranks looked at per retriever."""
    per_query: int = 8
    """Negatives kept per query, taken in turn from the BM25 and the dense ranking."""


def mine_negatives(dataset: BeirDataset, store: AnnVectorStore, settings: MiningSettings = MiningSettings(),
                   progress: Callable[[int], None] | None = None) -> dict[str, list[str]]:
    """Query id -> hard negative document ids (metadata['source'] of the store's chunks), best ranked first."""
    options = {"k": settings.depth, "fetch_k": 3 * settings.depth, "group_by": "source"}
    rankers = [HybridRetriever(retrievers=[BM25Retriever(store=store, index=build_bm25(store))], **options),
               HybridRetriever(retrievers=[DenseRetriever(store=store)], **options)]
    mined = {}
    for qid, query in dataset.queries.items():
        relevant = {d for d, score in dataset.qrels.get(qid, {}).items() if score > 0}
        lists = [[str(d.metadata["source"]) for d in r.invoke(query)][settings.skip:] for r in rankers]
        chosen: list[str] = []
        for rank in range(settings.depth):
            for ranking in lists:
                if rank < len(ranking) and ranking[rank] not in relevant and ranking[rank] not in chosen:
                    chosen.append(ranking[rank])
        mined[qid] = chosen[: settings.per_query]
        if progress:
            progress(1)
    return mined


def lead_passages(store: AnnVectorStore) -> dict[str, str]:
    """Document id -> its first chunk as indexed (title and opening text): what a trained model sees of it, and a
    text whose base vector is already in the embedding cache."""
    docs = store.docstore.by_rows(int(row) for row in store.docstore.rows())
    lead: dict[str, str] = {}
    for row in sorted(docs):
        lead.setdefault(str(docs[row].metadata.get("source")), docs[row].text)
    return lead


def triples(dataset: BeirDataset, negatives: dict[str, list[str]], passages: Mapping[str, str], epochs: int = 1,
            seed: int = 0) -> list[Triple]:
    """One (query, positive, negative) per judged pair and epoch (passages: document id -> text), each epoch
    drawing another of the query's negatives; pairs of a query without negatives are left out."""
    rng = random.Random(seed)
    out: list[Triple] = []
    for epoch in range(epochs):
        part = []
        for qid, query in dataset.queries.items():
            pool = negatives.get(qid) or []
            if not pool:
                continue
            for number, (doc_id, score) in enumerate(sorted(dataset.qrels.get(qid, {}).items())):
                if score > 0:
                    negative = pool[(epoch + number) % len(pool)]
                    part.append((query, passages[doc_id], passages[negative]))
        rng.shuffle(part)  # per epoch, so an epoch's batches never hold one pair twice
        out += part
    return out
