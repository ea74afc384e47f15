"""A small saved index (FAISS + docstore + BM25, English and Chinese chunks) and what searching it returns, for the
damaged-index tests; `rehash` makes a crafted file pass the manifest's checksums."""

from __future__ import annotations

import json
from pathlib import Path

from ragkit.digests import file_sha256
from ragkit.embeddings import HashingEmbeddings
from ragkit.retrieval import load_bm25, save_bm25
from ragkit.store import AnnVectorStore
from ragkit.store.persist import MANIFEST

DIM = 32
EMBEDDER = HashingEmbeddings(DIM)
TOPICS = ["cats chase mice in the garden", "stock markets fell on monday", "the marathon runner broke a record",
          "bread needs flour water and yeast", "猫在花园里追老鼠", "星期一股市下跌", "马拉松选手打破了纪录"]
QUERIES = ["garden cats", "markets fell", "record runner", "flour", "股市", "花园 老鼠"]


def build(directory: Path, factory: str = "Flat") -> None:
    """Save a 42-chunk index with a few deletions (tombstones on HNSW) and its BM25 index."""
    texts = [f"{topic} {i}" for i in range(6) for topic in TOPICS]
    store = AnnVectorStore(EMBEDDER, factory)
    store.add_texts(texts, [{"source": f"doc{i % 5}.md", "n": i} for i in range(len(texts))],
                    ids=[f"c{i}" for i in range(len(texts))])
    store.delete(["c3", "c9"])
    store.save(directory, settings={"chunk_tokens": 100, "factory": factory})
    save_bm25(store, directory)


def results(directory: Path) -> dict[str, list]:
    """Dense (id, score, text, metadata) and BM25 (id, score) top-5 of every query, loading everything afresh."""
    store = AnnVectorStore.load(directory, EMBEDDER)
    bm25 = load_bm25(store, directory)
    dense = [[(d.id, round(s, 4), d.page_content, d.metadata) for d, s in store.similarity_search_with_score(q, k=5)]
             for q in QUERIES]
    keyword = []
    for query in QUERIES:
        scores, rows = bm25.search(query, 5)
        found = store.docstore.by_rows(int(r) for r in rows)
        keyword.append([(found[int(r)].id, round(float(s), 4)) for s, r in zip(scores, rows)])
    return {"dense": dense, "bm25": keyword}


def manifest(directory: Path) -> dict:
    return json.loads((directory / MANIFEST).read_text())


def generation(directory: Path) -> Path:
    return directory / manifest(directory)["generation"]


def rehash(directory: Path) -> None:
    """Rewrite the manifest's checksums to match the generation's files as they are now."""
    data = manifest(directory)
    data["files"] = {name: file_sha256(directory / data["generation"] / name) for name in data["files"]}
    (directory / MANIFEST).write_text(json.dumps(data))
