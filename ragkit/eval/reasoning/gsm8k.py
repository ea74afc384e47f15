"""GSM8K train (../shared/data/gsm8k, never copied into the repository) split into a few-shot pool and a dev split
that the pool never shows: tune on dev, report on held-back test problems."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from ragkit.eval.data import shared_data
from ragkit.eval.reasoning.gsm8k_programs import program_of
from ragkit.eval.reasoning.tasks import gold_answer, read_jsonl, worked_solution

DEV_SIZE = 200
DEV_SEED = 25
"""The dev split: 200 train problems drawn with this seed (fixed, so every run tunes on the same ones)."""
POOL_SIZE = 2000
"""Few-shot examples the selector searches: a seeded sample of the rest of train (embedding all 7,273 costs a
minute on two cores for little gain in similarity)."""


def train_file() -> Path | None:
    """GSM8K's train.jsonl under the shared data, or None when absent."""
    folder = shared_data("gsm8k")
    path = folder / "train.jsonl" if folder else None
    return path if path is not None and path.is_file() else None


def dev_indices(count: int) -> set[int]:
    """Row indices of the dev split of a train file of `count` rows."""
    return set(random.Random(DEV_SEED).sample(range(count), min(DEV_SIZE, count)))


def dev_rows(path: Path) -> list[dict[str, Any]]:
    """The dev split's rows {id, question, answer}, in file order (id: 'train-<line>')."""
    rows = read_jsonl(path)
    chosen = dev_indices(len(rows))
    return [{"id": f"train-{i + 1}", "question": r["question"], "answer": gold_answer(r["answer"])}
            for i, r in enumerate(rows) if i in chosen]


def pool(path: Path, exclude: set[str] | None = None, size: int | None = None) -> list[dict[str, Any]]:
    """Few-shot examples {question, reasoning, answer, program} from a GSM8K-format file: calculator annotations
    and the `#### N` line stripped, the program built from the annotations (None where that fails), the dev split
    and the questions in `exclude` (those being evaluated) left out, at most `size` of them (a seeded sample)."""
    rows = read_jsonl(path)
    held = dev_indices(len(rows))
    skip = exclude or set()
    kept = [r for i, r in enumerate(rows) if i not in held and r["question"].strip() not in skip]
    if size is not None and size < len(kept):
        kept = [kept[i] for i in sorted(random.Random(DEV_SEED).sample(range(len(kept)), size))]
    return [{"question": r["question"].strip(), "reasoning": worked_solution(r["answer"]),
             "answer": gold_answer(r["answer"]).replace(",", ""), "program": program_of(r["question"], r["answer"])} for r in kept]
