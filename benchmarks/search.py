"""Query latency and recall@10 (vs exact search) of each FAISS index type, and ragkit's store vs LangChain's FAISS.

Vectors are realistic, not uniform random: mixtures of two real SciFact chunk embeddings (MiniLM) plus small
noise, so they keep the clustered geometry of real text embeddings; queries are real SciFact claim embeddings.
Latency is per single query (one thread), as a RAG query is served.

    .venv/bin/python benchmarks/search.py [--size 100000] [--size 1000000] [--queries 200]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import faiss  # noqa: E402
import numpy as np  # noqa: E402

from ragkit.digests import content_hash  # noqa: E402
from ragkit.embeddings import EmbeddingCache, HashingEmbeddings, SentenceTransformerEmbeddings  # noqa: E402
from ragkit.eval.beir import load_beir  # noqa: E402
from ragkit.eval.data import shared_data_or_say  # noqa: E402
from ragkit.eval.retrieval import index_corpus  # noqa: E402
from ragkit.paths import cache_dir  # noqa: E402
from ragkit.store import AnnVectorStore, FaissIndex, auto_factory  # noqa: E402


def real_embeddings(root: Path, queries: int) -> tuple[np.ndarray, np.ndarray]:
    """SciFact chunk and query embeddings (through ragkit's cache, so reruns embed nothing)."""
    data = load_beir(root, "train")
    embedder = SentenceTransformerEmbeddings()
    cache = EmbeddingCache(cache_dir() / "eval-embeddings.sqlite")
    store = index_corpus(data, embedder, cache)
    texts = list(data.queries.values())[:queries]
    query_vectors, _ = cache.embed(embedder, texts, [content_hash(t) for t in texts])
    cache.close()
    return store.index.reconstruct(sorted(store.docstore.filter_rows({}))), query_vectors


def synthesize(base: np.ndarray, n: int, seed: int = 0) -> np.ndarray:
    """n unit vectors, each a random mixture of two real embeddings plus noise (~0.9 cosine to its mixture)."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    for begin in range(0, n, 100_000):
        m = min(100_000, n - begin)
        a, b = base[rng.integers(0, len(base), m)], base[rng.integers(0, len(base), m)]
        mix = rng.uniform(0.5, 1.0, (m, 1)).astype(np.float32)
        v = mix * a + (1 - mix) * b
        v /= np.linalg.norm(v, axis=1, keepdims=True)
        v += rng.standard_normal(v.shape).astype(np.float32) * (0.45 / np.sqrt(base.shape[1]))
        out[begin : begin + m] = v / np.linalg.norm(v, axis=1, keepdims=True)
    return out


def per_query(search: Callable[[np.ndarray], np.ndarray], queries: np.ndarray) -> tuple[float, np.ndarray]:
    """Median milliseconds per single query and the (n, 10) ids found."""
    search(queries[0])
    times, found = [], []
    for q in queries:
        started = time.perf_counter()
        found.append(search(q))
        times.append(time.perf_counter() - started)
    return 1000 * float(np.median(times)), np.vstack(found)


def recall(found: np.ndarray, exact: np.ndarray) -> float:
    return float(np.mean([len(set(f) & set(e)) / len(e) for f, e in zip(found, exact)]))


def rss_mb() -> float:
    """Peak resident memory of this process."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def resident_mb() -> float:
    """Current resident memory, to size each index by the growth it causes (the MB column)."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def bench_size(n: int, base: np.ndarray, queries: np.ndarray, hnsw_max: int, sweep: bool) -> None:
    vectors = synthesize(base, n)
    ids = np.arange(n, dtype=np.int64)
    nlist = int(4 * np.sqrt(n)) // 64 * 64
    types = {"Flat": {}, f"IVF{nlist},Flat": {"nprobe": [8, 16, 32, 64]},
             "HNSW32": {"ef_search": [32, 64, 128]}, f"IVF{nlist},SQ8": {"nprobe": [16, 32, 64]},
             f"IVF{nlist},PQ48": {"nprobe": [16, 64]}}
    if n > hnsw_max:
        del types["HNSW32"]  # building HNSW over 1M vectors takes tens of minutes on a 2-core machine
    if not sweep:
        types = {"Flat": {}}  # exact results only, as the reference for the store comparison
    print(f"\n== {n:,} vectors (dim {vectors.shape[1]}), {len(queries)} real queries, 1 thread ==")
    print(f"{'index':22s}{'param':>14s}{'build s':>9s}{'ms/query':>10s}{'recall@10':>11s}{'speedup':>9s}"
          f"{'RSS+MB':>7s}")
    exact_ms, exact = None, None
    for factory, sweeps in types.items():
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        before_mb, started = resident_mb(), time.perf_counter()
        index = FaissIndex.create(vectors.shape[1], factory)
        index.train(vectors)
        index.add(ids, vectors)
        build = time.perf_counter() - started
        size_mb = resident_mb() - before_mb
        faiss.omp_set_num_threads(1)
        settings = [(k, v) for k, values in sweeps.items() for v in values] or [(None, None)]
        for key, value in settings:
            if key:
                index.set_search_params(**{key: value})
            ms, found = per_query(lambda q, index=index: index.search(q[None, :], 10)[1][0], queries)
            if exact is None:
                exact_ms, exact = ms, found
            label = f"{key}={value}" if key else "exact"
            print(f"{factory:22s}{label:>14s}{build:9.1f}{ms:10.3f}{recall(found, exact):11.3f}{exact_ms / ms:8.1f}x"
                  f"{size_mb:7.0f}")
        del index
    compare_langchain(vectors, queries, exact)


def compare_langchain(vectors: np.ndarray, queries: np.ndarray, exact: np.ndarray) -> None:
    """Full stack, same vectors: ragkit's store (auto index) vs LangChain FAISS.similarity_search_by_vector."""
    warnings.filterwarnings("ignore")
    from langchain_community.vectorstores import FAISS

    n = len(vectors)
    texts = [f"chunk {i}" for i in range(n)]
    faiss.omp_set_num_threads(os.cpu_count() or 1)
    embedding = HashingEmbeddings(vectors.shape[1])  # never called: both sides get vectors
    ours = AnnVectorStore(embedding, auto_factory(n))
    ours.add_vectors(vectors, texts, None, [str(i) for i in range(n)])
    step = 100_000  # slices: one Python list of 1M x 384 floats would take ~9 GB
    peer = FAISS.from_embeddings(list(zip(texts[:step], vectors[:step].tolist())), embedding,
                                 ids=[str(i) for i in range(min(step, n))], distance_strategy="MAX_INNER_PRODUCT")
    for begin in range(step, n, step):
        peer.add_embeddings(list(zip(texts[begin:begin + step], vectors[begin:begin + step].tolist())),
                            ids=[str(i) for i in range(begin, min(begin + step, n))])
    faiss.omp_set_num_threads(1)
    rows = {}
    for name, store in (("ragkit AnnVectorStore " + ours.factory, ours), ("LangChain FAISS (flat)", peer)):
        ms, found = per_query(lambda q, store=store: np.array([int(d.id) for d in store.similarity_search_by_vector(q, k=10)]),
                              queries)
        rows[name] = ms
        print(f"{name:40s} {ms:8.3f} ms/query  recall@10 {recall(found, exact):.3f}")
    ours_ms, peer_ms = rows.values()
    print(f"ragkit / LangChain speed: {peer_ms / ours_ms:.1f}x faster")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, action="append", help="corpus sizes (default 100000)")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--no-sweep", action="store_true", help="skip the index types, compare the stores only")
    parser.add_argument("--hnsw-max", type=int, default=500_000, help="skip HNSW above this size (slow to build)")
    args = parser.parse_args()
    root = shared_data_or_say("scifact")
    if root is None:
        return 0
    base, queries = real_embeddings(root, args.queries)
    for n in args.size or [100_000]:
        bench_size(n, base, queries, args.hnsw_max, not args.no_sweep)
    print(f"\npeak RSS {rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
