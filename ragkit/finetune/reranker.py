"""Train a cross-encoder reranker from the packaged MiniLM weights on queries, their positives and mined negatives.

Each query's positive and its hard negatives form one group scored together; the loss is the cross-entropy of
the positive among them (listwise, like MultipleNegativesRankingLoss for a bi-encoder). Hand-written loop for the
reason ragkit.finetune.embedder gives; the model is sentence-transformers' CrossEncoder.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ragkit.finetune.embedder import train_loop, training_facts
from ragkit.retrieval.rerank import RERANKER_FILE

Group = tuple[str, str, list[str]]
"""(query, positive passage, hard negative passages)."""


@dataclass(frozen=True)
class RerankerTraining:
    """Hyperparameters of `ragkit finetune reranker` (defaults chosen on a SciFact train/dev split,
    docs/retrieval-training.md)."""

    epochs: int = 2
    learning_rate: float = 1e-4
    """With 1 epoch at 3e-5 (the usual sentence-transformers values) the head barely learned on SciFact train (loss
    1.80 -> 1.48; reranking hurt dev at every N and weight); 2 epochs at 1e-4: loss 1.79 -> 0.44."""
    groups_per_step: int = 4
    negatives: int = 5
    """Hard negatives scored beside each positive."""
    warmup: float = 0.1
    max_seq_tokens: int = 256
    seed: int = 0


def train_cross_encoder(base: str, groups: list[Group], out: Path, params: RerankerTraining,
                        progress: Callable[[int, int], None] | None = None,
                        notes: dict[str, Any] | None = None) -> dict[str, Any]:
    """A CrossEncoder initialized from the model directory `base` (a fresh one-logit head), trained on the groups,
    saved to `out` with ragkit-reranker.json; returns what was done. progress(step, steps)."""
    import torch
    from sentence_transformers import CrossEncoder

    started = time.perf_counter()
    encoder = CrossEncoder(base, num_labels=1, max_length=params.max_seq_tokens, device="cpu", local_files_only=True)
    model, tokenizer = encoder.model, encoder.tokenizer

    def batch_loss(part: Sequence[Group]) -> Any:
        sized = [(q, [p, *negs[: params.negatives]]) for q, p, negs in part]
        pairs = [(q, passage) for q, passages in sized for passage in passages]
        features = tokenizer([q for q, _ in pairs], [p for _, p in pairs], padding=True, truncation="only_second",
                             max_length=params.max_seq_tokens, return_tensors="pt")
        logits = model(**features).logits.float().view(-1)
        value, begin = torch.zeros(()), 0
        for _, passages in sized:  # the positive is first in its group
            value = value + torch.nn.functional.cross_entropy(logits[begin : begin + len(passages)][None],
                                                              torch.zeros(1, dtype=torch.long))
            begin += len(passages)
        return value / len(sized)

    seen = train_loop(model, groups, params.groups_per_step, params.epochs, params.learning_rate, params.warmup,
                      params.seed, batch_loss, progress)
    encoder.save(str(out))
    facts = training_facts(seen, started, params, kind="cross-encoder", base=base, groups=len(groups),
                           **(notes or {}))
    (out / RERANKER_FILE).write_text(json.dumps(facts, indent=2))
    return facts
