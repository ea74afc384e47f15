"""Retrieval training pairs: {query, positive[, negative]} JSONL or a BEIR split, as one BeirDataset shape.

Everything downstream (mining hard negatives, training, the dev split) works on a BeirDataset, so a pairs file is
turned into one: every distinct passage becomes a document, every query a judged query.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ragkit.digests import content_hash
from ragkit.errors import InvalidInputError
from ragkit.eval.beir import BeirDataset


class Pair(BaseModel):
    """A query, a passage that answers it and optionally one that does not."""

    model_config = ConfigDict(extra="forbid")
    query: str = Field(min_length=1)
    positive: str = Field(min_length=1)
    negative: str | None = None


def load_pairs(path: Path) -> list[Pair]:
    """Read pairs, one JSON object per line; errors name the file and line."""
    if not Path(path).is_file():
        raise InvalidInputError(f"no such pairs file: {path}")
    pairs = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if line.strip():
            try:
                pairs.append(Pair.model_validate(json.loads(line)))
            except (ValueError, ValidationError) as exc:
                reason = exc.errors()[0]["msg"] if isinstance(exc, ValidationError) else str(exc)
                raise InvalidInputError(f"{path}:{number}: not a {{query, positive[, negative]}} pair ({reason})") from None
    if not pairs:
        raise InvalidInputError(f"{path} holds no pairs")
    return pairs


def pairs_dataset(pairs: list[Pair]) -> tuple[BeirDataset, dict[str, list[str]]]:
    """The pairs as a BeirDataset (passages keyed by content hash) and each query's given negatives (ids)."""
    corpus: dict[str, tuple[str, str]] = {}
    queries: dict[str, str] = {}
    qrels: dict[str, dict[str, int]] = {}
    negatives: dict[str, list[str]] = {}
    for pair in pairs:
        qid = content_hash(pair.query)[:16]
        queries[qid] = pair.query
        positive = content_hash(pair.positive)[:16]
        corpus[positive] = ("", pair.positive)
        qrels.setdefault(qid, {})[positive] = 1
        if pair.negative:
            negative = content_hash(pair.negative)[:16]
            corpus[negative] = ("", pair.negative)
            negatives.setdefault(qid, []).append(negative)
    return BeirDataset(corpus, queries, qrels), negatives


def split_queries(dataset: BeirDataset, dev_share: float = 0.2, seed: int = 0) -> tuple[BeirDataset, BeirDataset]:
    """(train, dev) by query, seeded; both keep the whole corpus (the dev queries search all of it)."""
    ids = sorted(dataset.queries)
    random.Random(seed).shuffle(ids)
    cut = round(len(ids) * dev_share)
    parts = (set(ids[cut:]), set(ids[:cut]))
    return tuple(  # type: ignore[return-value]
        BeirDataset(dataset.corpus, {q: t for q, t in dataset.queries.items() if q in part},
                    {q: r for q, r in dataset.qrels.items() if q in part})
        for part in parts
    )
