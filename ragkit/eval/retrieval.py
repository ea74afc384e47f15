"""Retrieval evaluation on a BEIR dataset: chunk and index the corpus, run retrievers, score the rankings.

Long documents are split into chunks (each chunk keeps its document's title); a document is ranked by its
best chunk, which is how ragkit's retrievers collapse chunks with `group_by='source'`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path

from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever

from ragkit.digests import content_hash
from ragkit.embeddings.base import VectorEmbeddings
from ragkit.embeddings.cache import EmbeddingCache
from ragkit.eval.beir import BeirDataset
from ragkit.eval.metrics import evaluate
from ragkit.ingest import Page, Splitter
from ragkit.retrieval import BM25Retriever, DenseRetriever, HybridRetriever, build_bm25
from ragkit.retrieval.hybrid import DEFAULT_FUSION
from ragkit.retrieval.rerank import reranking
from ragkit.settings import BEIR_CHUNKING
from ragkit.store import AnnVectorStore

log = logging.getLogger(__name__)

RETRIEVERS = ("dense", "bm25", "hybrid")
DEPTH = 100
"""Documents ranked per query (Recall@100 needs 100)."""


def corpus_chunks(dataset: BeirDataset, embedder: VectorEmbeddings, chunk_tokens: int = BEIR_CHUNKING[0],
                  overlap_tokens: int = BEIR_CHUNKING[1]) -> tuple[list[str], list[dict], list[str]]:
    """(texts, metadatas, ids) of the corpus' chunks, each headed by its document's title; metadata['source'] is
    the document id, a document's chunks come in order."""
    splitter = Splitter(embedder.count_tokens, chunk_tokens, overlap_tokens)
    texts, metadatas, ids = [], [], []
    for doc_id, (title, body) in dataset.corpus.items():
        for chunk in splitter.split([Page(body or title)], doc_id):
            texts.append(f"{title}\n{chunk.text}" if title else chunk.text)
            metadatas.append({"source": doc_id, "start": chunk.start})
            ids.append(chunk.id)
    log.info("%d documents -> %d chunks", len(dataset.corpus), len(texts))
    return texts, metadatas, ids


def index_corpus(dataset: BeirDataset, embedder: VectorEmbeddings, cache: EmbeddingCache | None = None,
                 chunk_tokens: int = BEIR_CHUNKING[0], overlap_tokens: int = BEIR_CHUNKING[1],
                 progress: Callable[[int], None] | None = None) -> AnnVectorStore:
    """A Flat store of the corpus' chunks (corpus_chunks); vectors go through the cache."""
    texts, metadatas, ids = corpus_chunks(dataset, embedder, chunk_tokens, overlap_tokens)
    if cache is None:
        vectors = embedder.embed_array(texts, progress)
    else:
        vectors, _ = cache.embed(embedder, texts, [content_hash(t) for t in texts], progress=progress)
    store = AnnVectorStore(embedder, "Flat")
    store.add_vectors(vectors, texts, metadatas, ids)
    return store


def default_retrievers(store: AnnVectorStore, depth: int = DEPTH) -> dict[str, BaseRetriever]:
    """Dense, BM25 and ragkit's default hybrid, each ranking documents (chunks grouped by source)."""
    dense = DenseRetriever(store=store)
    bm25 = BM25Retriever(store=store, index=build_bm25(store))
    # A document has a few chunks: fetch enough chunks to rank `depth` documents.
    options = {"k": depth, "fetch_k": 3 * depth, "group_by": "source"}
    return {
        "dense": HybridRetriever(retrievers=[dense], **options),
        "bm25": HybridRetriever(retrievers=[bm25], **options),
        "hybrid": HybridRetriever(retrievers=[dense, bm25], **options, **DEFAULT_FUSION),
    }


def reranked_retrievers(retrievers: Mapping[str, BaseRetriever], reranker: str, n: int, weight: float,
                        depth: int = DEPTH) -> dict[str, BaseRetriever]:
    """'NAME+reranker' for each hybrid retriever: its top n documents reordered by the trained cross-encoder, the
    rest of its `depth` after them."""
    return {f"{name}+reranker": reranking(r, reranker, n, weight, depth)
            for name, r in retrievers.items() if name.startswith("hybrid")}


def rank_documents(retriever: BaseRetriever, queries: Mapping[str, str],
                   progress: Callable[[int], None] | None = None) -> dict[str, list[Document]]:
    """Each query's ranked Documents."""
    ranked = {}
    for qid, text in queries.items():
        ranked[qid] = retriever.invoke(text)
        if progress:
            progress(1)
    return ranked


def document_run(ranked: Mapping[str, list[Document]]) -> dict[str, list[str]]:
    """Ranked documents -> ranked document ids (metadata['source'])."""
    return {qid: [str(d.metadata.get("source", d.id)) for d in docs] for qid, docs in ranked.items()}


def evaluate_retrievers(dataset: BeirDataset, retrievers: Mapping[str, BaseRetriever],
                        progress: Callable[[int], None] | None = None) -> dict[str, dict[str, float]]:
    """nDCG@10, Recall@10/100 and MRR@10 of each retriever on the dataset's judged queries."""
    return {
        name: evaluate(document_run(rank_documents(retriever, dataset.queries, progress)), dataset.qrels)
        for name, retriever in retrievers.items()
    }


def write_report(results: Mapping[str, Mapping[str, float]], out: Path, title: str) -> tuple[Path, Path]:
    """results.json and a grouped bar chart (results.png) in out."""
    import json

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    out.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out / "results.json", out / "results.png"
    json_path.write_text(json.dumps({"title": title, "results": results}, indent=2, sort_keys=True))
    names = list(results)
    metrics = list(next(iter(results.values())))
    width = 0.8 / max(1, len(names))
    fig, ax = plt.subplots(figsize=(1.8 * len(metrics) + 2, 4))
    for i, name in enumerate(names):
        values = [results[name][m] for m in metrics]
        bars = ax.bar(np.arange(len(metrics)) + i * width, values, width, label=name)
        ax.bar_label(bars, fmt="%.3f", fontsize=7)
    ax.set_xticks(np.arange(len(metrics)) + width * (len(names) - 1) / 2, metrics)
    ax.set_ylim(0, 1.05)
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png_path, dpi=120)
    plt.close(fig)
    return json_path, png_path
