"""Batch indexing at scale: peak memory and throughput of `ragkit index`'s code path (the Indexer) on N chunks.

Writes a corpus of text files whose paragraphs are reshuffled SciFact sentences (one chunk each), then indexes it
with the same Indexer that `ragkit index` runs: streamed groups, the embedding cache, FAISS, the SQLite docstore
and BM25. The default embedder is the model-free hashing one, so the run measures the pipeline rather than
MiniLM (which embeds ~450 chunks/s on 2 cores: 1M chunks would take ~40 min of embedding alone).

    .venv/bin/python benchmarks/indexing_scale.py --chunks 1000000 [--factory auto] [--embedder hashing:384]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402
from tqdm import tqdm  # noqa: E402

from ragkit.embeddings import from_spec  # noqa: E402
from ragkit.eval.data import shared_data_or_say  # noqa: E402
from ragkit.indexing import Indexer  # noqa: E402
from ragkit.store.persist import read_manifest  # noqa: E402

PARAGRAPHS_PER_FILE = 20


def write_corpus(root: Path, scifact: Path, chunks: int, seed: int = 0) -> int:
    """Files of PARAGRAPHS_PER_FILE paragraphs of ~70 words each, sampled from SciFact sentences."""
    sentences = [s.strip() + "." for line in (scifact / "corpus.jsonl").open(encoding="utf-8")
                 for s in json.loads(line)["text"].split(". ") if len(s.split()) >= 5]
    rng = np.random.default_rng(seed)
    files = -(-chunks // PARAGRAPHS_PER_FILE)
    for number in tqdm(range(files), desc="writing corpus", unit="file"):
        paragraphs = []
        for _ in range(min(PARAGRAPHS_PER_FILE, chunks - number * PARAGRAPHS_PER_FILE)):
            words: list[str] = []
            while len(words) < 60:
                words += sentences[rng.integers(len(sentences))].split()
            paragraphs.append(" ".join(words[:70]))
        folder = root / f"{number // 1000:04d}"
        folder.mkdir(exist_ok=True)
        (folder / f"doc{number:07d}.txt").write_text("\n\n".join(paragraphs), encoding="utf-8")
    return files


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--factory", default="auto", help="FAISS factory string or 'auto'")
    parser.add_argument("--embedder", default="hashing:384", help="embedder spec (e.g. all-MiniLM-L6-v2)")
    parser.add_argument("--workers", type=int, default=0, help="reader processes (see ragkit.indexing.Indexer)")
    args = parser.parse_args()
    scifact = shared_data_or_say("scifact")
    if scifact is None:
        return 0
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        corpus.mkdir()
        files = write_corpus(corpus, scifact, args.chunks)
        indexer = Indexer(Path(tmp) / "index", from_spec(args.embedder), factory=args.factory, workers=args.workers)
        bars: dict[str, tqdm] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in bars:
                bars[stage] = tqdm(desc=stage, unit="file" if stage == "read" else "chunk")
            bar = bars[stage]
            bar.total = total
            bar.n = done
            bar.refresh()

        started = time.perf_counter()
        report = indexer.run([corpus], progress)
        seconds = time.perf_counter() - started
        for bar in bars.values():
            bar.close()
        size = sum(p.stat().st_size for p in (Path(tmp) / "index").rglob("*") if p.is_file())
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
        factory = read_manifest(Path(tmp) / "index").factory
        print(f"{files:,} files, {report.chunks:,} chunks, embedder {args.embedder}, index {factory}")
        print(f"indexing: {seconds:.0f} s, {report.chunks / seconds:,.0f} chunks/s; "
              f"peak resident memory {peak:.2f} GB; index directory {size / 2**30:.2f} GB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
