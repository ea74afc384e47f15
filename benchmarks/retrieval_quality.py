"""Retrieval quality on SciFact (BEIR) train: dense (MiniLM), BM25 (bm25s, stemmed) and hybrid fusion, nDCG@10.

Fusion settings are swept on train only (the test judgments are held back); the chosen default lives in
ragkit.retrieval.hybrid.DEFAULT_FUSION. Chunk embeddings are cached in ~/.cache/ragkit/eval-embeddings.sqlite.

    .venv/bin/python benchmarks/retrieval_quality.py [--split train] [--chunk-tokens 200] [--sweep]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ragkit.embeddings import EmbeddingCache, SentenceTransformerEmbeddings  # noqa: E402
from ragkit.eval.beir import load_beir  # noqa: E402
from ragkit.eval.data import shared_data_or_say  # noqa: E402
from ragkit.eval.metrics import evaluate  # noqa: E402
from ragkit.eval.retrieval import document_run, index_corpus, rank_documents  # noqa: E402
from ragkit.paths import cache_dir  # noqa: E402
from ragkit.retrieval import BM25Retriever, DenseRetriever, HybridRetriever, build_bm25, fuse  # noqa: E402
from ragkit.retrieval.hybrid import DEFAULT_FUSION  # noqa: E402
from ragkit.settings import BEIR_CHUNKING  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="train")
    parser.add_argument("--chunk-tokens", type=int, default=BEIR_CHUNKING[0])
    parser.add_argument("--sweep", action="store_true", help="also print a grid of fusion settings")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    directory = shared_data_or_say("scifact")
    if directory is None:
        return 0
    dataset = load_beir(directory, args.split)
    started = time.perf_counter()
    cache = EmbeddingCache(cache_dir() / "eval-embeddings.sqlite")
    store = index_corpus(dataset, SentenceTransformerEmbeddings(), cache, chunk_tokens=args.chunk_tokens)
    cache.close()
    print(f"indexed {len(dataset.corpus)} documents as {len(store)} chunks in {time.perf_counter() - started:.0f} s")

    depth, fetch = 100, 300
    dense = DenseRetriever(store=store, k=fetch)
    bm25 = BM25Retriever(store=store, index=build_bm25(store), k=fetch)
    started = time.perf_counter()
    lists = {name: rank_documents(r, dataset.queries) for name, r in (("dense", dense), ("bm25", bm25))}
    print(f"ranked {len(dataset.queries)} queries with both retrievers in {time.perf_counter() - started:.0f} s")

    def score(names: tuple[str, ...], **fusion: object) -> dict[str, float]:
        ranked = {q: fuse([lists[n][q] for n in names], group_by="source", **fusion)[:depth] for q in dataset.queries}
        return evaluate(document_run(ranked), dataset.qrels)

    rows = {
        "dense (MiniLM, best chunk)": score(("dense",)),
        "bm25 (bm25s + Snowball)": score(("bm25",)),
        "hybrid rrf (equal weights)": score(("dense", "bm25"), method="rrf"),
        f"hybrid default {DEFAULT_FUSION}": score(("dense", "bm25"), **DEFAULT_FUSION),
    }
    if args.sweep:
        for method in ("rrf", "score"):
            for w in (0.3, 0.4, 0.5, 0.6, 0.7):
                rows[f"sweep {method} dense={w:.1f}"] = score(("dense", "bm25"), method=method, weights=[w, 1 - w])
    metrics = list(next(iter(rows.values())))
    print(f"\nSciFact {args.split}: {len(dataset.queries)} queries, {len(dataset.corpus)} documents")
    print(f"{'retriever':50s}" + "".join(f"{m:>12s}" for m in metrics))
    for name, values in rows.items():
        print(f"{name:50s}" + "".join(f"{values[m]:12.4f}" for m in metrics))
    best = max(rows["dense (MiniLM, best chunk)"]["ndcg@10"], rows["bm25 (bm25s + Snowball)"]["ndcg@10"])
    default = rows[f"hybrid default {DEFAULT_FUSION}"]["ndcg@10"]
    print(f"\nhybrid default / best single retriever nDCG@10: {default / best:.3f}x")
    assert HybridRetriever  # the default retriever class these settings configure
    return 0


if __name__ == "__main__":
    sys.exit(main())
