"""Indexing speed and quality: ragkit vs LangChain's FAISS.from_documents + HuggingFaceEmbeddings, same model, one run.

Indexes SciFact's corpus (../shared/data/scifact, or $RAGKIT_DATA/scifact) with both, re-indexes the unchanged corpus
with ragkit, and scores both indexes with nDCG@10 on the train queries. Prints docs/s, the ratios and the quality gap.

    .venv/bin/python benchmarks/indexing.py [--limit N] [--skip-quality]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ragkit import KnowledgeBase  # noqa: E402
from ragkit.embeddings import SentenceTransformerEmbeddings, default_model_path  # noqa: E402
from ragkit.eval.beir import BeirDataset, load_beir  # noqa: E402
from ragkit.eval.data import shared_data_or_say  # noqa: E402
from ragkit.eval.metrics import ndcg_at_k  # noqa: E402
from ragkit.settings import IndexSettings  # noqa: E402


def peer(dataset: BeirDataset, ids: list[str]) -> tuple[float, object]:
    """LangChain's documented path: HuggingFaceEmbeddings + FAISS.from_documents (model load not timed)."""
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document
    from langchain_huggingface import HuggingFaceEmbeddings

    embeddings = HuggingFaceEmbeddings(model_name=default_model_path())
    embeddings.embed_query("warm up")
    docs = [Document(page_content=dataset.document_text(i), metadata={"id": i}) for i in ids]
    started = time.perf_counter()
    store = FAISS.from_documents(docs, embeddings)
    return time.perf_counter() - started, store


def ragkit_index(dataset: BeirDataset, ids: list[str], workdir: Path,
                 settings: IndexSettings) -> tuple[float, float, KnowledgeBase]:
    """ragkit's CLI path: a folder of files indexed by KnowledgeBase.index, then the same again unchanged."""
    corpus = workdir / "corpus"
    corpus.mkdir()
    for doc_id in ids:
        (corpus / f"{doc_id}.txt").write_text(dataset.document_text(doc_id), encoding="utf-8")
    embedder = SentenceTransformerEmbeddings()
    embedder.embed_query("warm up")
    kb = KnowledgeBase(path=workdir / "index", embedder=embedder)
    started = time.perf_counter()
    kb.index([corpus], settings)
    first = time.perf_counter() - started
    started = time.perf_counter()
    report = kb.index([corpus], settings)
    again = time.perf_counter() - started
    assert report.embedded_chunks == 0 and report.unchanged_files == len(ids)
    return first, again, kb


def mean_ndcg(dataset: BeirDataset, ids: set[str], search) -> float:
    """Mean nDCG@10 over the train queries whose judged documents are all in the indexed set."""
    scores = [ndcg_at_k(search(text), dataset.qrels[qid], 10) for qid, text in dataset.queries.items()
              if set(dataset.qrels[qid]) <= ids]
    return sum(scores) / max(len(scores), 1)


def ragkit_ranking(kb: KnowledgeBase, query: str) -> list[str]:
    """Documents ranked by their best chunk."""
    ranked: list[str] = []
    for doc, _ in kb.store.similarity_search_with_score(query, k=50):
        doc_id = Path(doc.metadata["source"]).stem
        if doc_id not in ranked:
            ranked.append(doc_id)
    return ranked[:10]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="index only the first N documents (0 = all)")
    parser.add_argument("--skip-quality", action="store_true")
    parser.add_argument("--chunk-tokens", type=int, default=None, help="ragkit chunk size (default: ragkit's)")
    args = parser.parse_args()
    root = shared_data_or_say("scifact")
    if root is None:
        return 0
    dataset = load_beir(root, "train")
    ids = list(dataset.corpus)[: args.limit or None]
    print(f"SciFact: {len(ids)} documents; model all-MiniLM-L6-v2; {os.cpu_count()} CPUs")

    peer_s, peer_store = peer(dataset, ids)
    with tempfile.TemporaryDirectory() as tmp:
        settings = IndexSettings(chunk_tokens=args.chunk_tokens) if args.chunk_tokens else IndexSettings()
        first_s, again_s, kb = ragkit_index(dataset, ids, Path(tmp), settings)
        rows = [("LangChain FAISS.from_documents", peer_s), ("ragkit first index", first_s),
                ("ragkit re-index (unchanged)", again_s)]
        for name, seconds in rows:
            print(f"{name:34s} {seconds:9.2f} s  {len(ids) / seconds:10.1f} docs/s")
        print(f"ratio first index (ragkit/peer docs/s): {peer_s / first_s:.2f}x")
        print(f"ratio re-index vs peer full rebuild:    {peer_s / again_s:.1f}x")
        if not args.skip_quality:
            judged = set(ids)
            peer_ndcg = mean_ndcg(dataset, judged, lambda q: [d.metadata["id"] for d in peer_store.similarity_search(q, k=10)])
            ragkit_ndcg = mean_ndcg(dataset, judged, lambda q: ragkit_ranking(kb, q))
            print(f"nDCG@10 train: peer {peer_ndcg:.4f}  ragkit {ragkit_ndcg:.4f}  (difference {ragkit_ndcg - peer_ndcg:+.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
