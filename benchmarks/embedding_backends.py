"""CPU embedding backends for all-MiniLM-L6-v2, one run: speed, agreement with fp32 and SciFact nDCG@10.

Compares sentence-transformers in float32 (what LangChain's HuggingFaceEmbeddings runs), ragkit's default
(bfloat16 where the CPU has it, batches sorted by token count), and OpenVINO in bf16 and NNCF int8 when
`openvino`/`nncf` are installed (they are optional: rows are skipped without them). The corpus is SciFact's
first N documents split like `ragkit index` splits; nDCG@10 uses the train queries judged inside that subset.

    .venv/bin/python benchmarks/embedding_backends.py [--limit 1000]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import time
from collections.abc import Callable

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy as np  # noqa: E402

from ragkit.embeddings import SentenceTransformerEmbeddings, default_model_path  # noqa: E402
from ragkit.eval.beir import load_beir  # noqa: E402
from ragkit.eval.data import shared_data_or_say  # noqa: E402
from ragkit.eval.metrics import ndcg_at_k  # noqa: E402
from ragkit.ingest import Page, Splitter  # noqa: E402

Embed = Callable[[list[str]], np.ndarray]


def openvino_backend(int8: bool, calibration: list[str]) -> Embed:
    """MiniLM converted with openvino.convert_model (bf16 on AMX CPUs), optionally NNCF-quantized to int8."""
    import openvino as ov
    import torch
    from transformers import AutoModel, AutoTokenizer

    path = default_model_path()
    tokenizer = AutoTokenizer.from_pretrained(path)
    example = {k: torch.ones(2, 8, dtype=torch.long) for k in ("input_ids", "attention_mask", "token_type_ids")}
    model = ov.convert_model(AutoModel.from_pretrained(path).eval(), example_input=example)

    def feeds(texts: list[str], batch: int = 64):
        order = np.argsort([-len(ids) for ids in tokenizer(texts)["input_ids"]], kind="stable")
        for begin in range(0, len(texts), batch):
            rows = order[begin : begin + batch]
            enc = tokenizer([texts[i] for i in rows], padding=True, truncation=True, max_length=256,
                            return_tensors="np")
            yield rows, {k: enc[k].astype(np.int64) for k in example}

    if int8:
        import nncf

        model = nncf.quantize(model, nncf.Dataset([f for _, f in feeds(calibration, 32)]),
                              model_type=nncf.ModelType.TRANSFORMER)
    compiled = ov.Core().compile_model(model, "CPU")

    def embed(texts: list[str]) -> np.ndarray:
        out = np.empty((len(texts), 384), dtype=np.float32)
        for rows, feed in feeds(texts):
            hidden, mask = compiled(feed)[0], feed["attention_mask"][..., None]
            pooled = (hidden * mask).sum(1) / mask.sum(1)
            out[rows] = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return out

    return embed


def backends(calibration: list[str]) -> dict[str, Callable[[], Embed]]:
    """Name -> factory of each backend available here."""
    found: dict[str, Callable[[], Embed]] = {
        "sentence-transformers fp32": lambda: SentenceTransformerEmbeddings(precision="float32").embed_array,
        "ragkit default (" + ("bf16" if _bf16() else "fp32") + ", token-sorted)":
            lambda: SentenceTransformerEmbeddings().embed_array,
    }
    if importlib.util.find_spec("openvino"):
        found["OpenVINO bf16"] = lambda: openvino_backend(False, calibration)
        if importlib.util.find_spec("nncf"):
            found["OpenVINO int8 (NNCF)"] = lambda: openvino_backend(True, calibration)
    return found


def _bf16() -> bool:
    from ragkit.embeddings.sentence import cpu_has_bf16

    return cpu_has_bf16()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=1000, help="SciFact documents (0 = all)")
    args = parser.parse_args()
    root = shared_data_or_say("scifact")
    if root is None:
        return 0
    data = load_beir(root, "train")
    ids = list(data.corpus)[: args.limit or None]
    reference = SentenceTransformerEmbeddings(precision="float32")
    splitter = Splitter(reference.count_tokens, 100, 16)
    chunks = [(doc_id, c.text) for doc_id in ids for c in splitter.split([Page(data.document_text(doc_id))], doc_id)]
    texts = [t for _, t in chunks]
    owners = np.array([doc_id for doc_id, _ in chunks])
    tokens = sum(reference.count_tokens(t) + 2 for t in texts)
    judged = {q: rel for q, rel in data.qrels.items() if set(rel) <= set(ids)}
    queries = [data.queries[q] for q in judged]
    print(f"SciFact {len(ids)} documents -> {len(texts)} chunks, {tokens:,} tokens; {len(judged)} judged queries; "
          f"{os.cpu_count()} CPUs")
    print(f"{'backend':40s}{'seconds':>9s}{'tokens/s':>10s}{'speed':>7s}{'cos min':>9s}{'cos mean':>9s}"
          f"{'nDCG@10':>9s}")
    base_vectors, base_seconds = None, None
    for name, make in backends(texts[::7][:600]).items():
        embed = make()
        embed(texts[:64])  # warm up (and compile, for OpenVINO)
        started = time.perf_counter()
        vectors = embed(texts)
        seconds = time.perf_counter() - started
        query_vectors = embed(queries)
        if base_vectors is None:
            base_vectors, base_seconds = vectors, seconds
        cosine = np.sum(vectors * base_vectors, axis=1)
        scores = query_vectors @ vectors.T
        ndcg = np.mean([ndcg_at_k(_ranked(row, owners), rel, 10) for row, rel in zip(scores, judged.values())])
        print(f"{name:40s}{seconds:9.1f}{tokens / seconds:10,.0f}{base_seconds / seconds:6.2f}x"
              f"{cosine.min():9.4f}{cosine.mean():9.5f}{ndcg:9.4f}")
    return 0


def _ranked(scores: np.ndarray, owners: np.ndarray) -> list[str]:
    """Documents by their best chunk."""
    ranked: list[str] = []
    for row in np.argsort(-scores)[:100]:
        if owners[row] not in ranked:
            ranked.append(str(owners[row]))
    return ranked


if __name__ == "__main__":
    sys.exit(main())
