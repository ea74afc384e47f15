"""What a context budget keeps: the gold answer in the text the model reads, per k and budget, no model needed.

The knowledge base is SQuAD v1.1 dev part A written as files (one per article, its first 8 paragraphs), indexed
with ragkit's defaults; each question is retrieved once with the largest k, and every (k, budget) pair is scored
on the same passages. Printed per pair: the share of questions whose gold answer (SQuAD-normalized) is in the
passages the model would read, the share whose gold file is among them, and the mean passage tokens (the
embedder's) and passages. The budget that keeps the gold answer as often as the whole passages, with the fewest
tokens, is the one to ship (prefill is most of a CPU answer; see benchmarks/answer_latency.py).

    .venv/bin/python benchmarks/context_budget.py [--articles 24] [--per-article 15] [--k 4 6]
        [--budgets 0 120 160 200 250 300]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ragkit import Citation  # noqa: E402
from ragkit.chains.budget import fit  # noqa: E402
from ragkit.eval.data import shared_data_or_say  # noqa: E402
from ragkit.eval.kbset import squad_kb_set  # noqa: E402
from ragkit.eval.qa import normalize_answer  # noqa: E402
from ragkit.eval.squad import load_squad  # noqa: E402
from ragkit.kb import KnowledgeBase  # noqa: E402
from ragkit.settings import RetrievalSettings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=24, help="SQuAD part A articles indexed")
    parser.add_argument("--per-article", type=int, default=15, help="questions asked of each article")
    parser.add_argument("--k", type=int, nargs="+", default=[4, 6], help="passages retrieved")
    parser.add_argument("--budgets", type=int, nargs="+", default=[0, 120, 160, 200, 250, 300],
                        help="context budgets in tokens (0: the k passages whole)")
    args = parser.parse_args()
    squad = shared_data_or_say("squad")
    if squad is None:
        return
    kbset = squad_kb_set(load_squad(squad / "dev-v1.1-part-a.json"), args.articles, per_article=args.per_article,
                         unanswerable=0)
    with tempfile.TemporaryDirectory() as tmp:
        kb = KnowledgeBase(path=Path(tmp) / "idx", retrieval=RetrievalSettings(k=max(args.k)))
        kb.index(kbset.write(Path(tmp) / "kb"))
        chain = kb.chain()
        started = time.perf_counter()
        retrieved = [(item, chain.retrieve(item.question)) for item in kbset.items]
        print(f"{len(retrieved)} questions over {len(kbset.files)} articles, retrieved in "
              f"{time.perf_counter() - started:.1f} s; load {os.getloadavg()[0]:.2f}")
        count = kb.embedder.count_tokens
        print(f"{'k':>3} {'budget':>7} {'gold in context':>16} {'file in context':>16} {'tokens':>7} {'passages':>9} "
              f"{'fit ms':>7}")
        for k in args.k:
            for budget in args.budgets:
                contained, filed, tokens, passages, seconds = [], [], [], [], 0.0
                for item, found in retrieved:
                    started = time.perf_counter()
                    kept: list[Citation] = fit(item.question, found[:k], budget or None, count)
                    seconds += time.perf_counter() - started
                    text = normalize_answer(" ".join(p.text for p in kept))
                    contained.append(any(normalize_answer(g) in text for g in item.answers))
                    filed.append(any(Path(p.source).name == item.gold for p in kept))
                    tokens.append(sum(count(p.text) for p in kept))
                    passages.append(len(kept))
                print(f"{k:>3} {budget or 'whole':>7} {statistics.fmean(contained):>16.1%} "
                      f"{statistics.fmean(filed):>16.1%} {statistics.fmean(tokens):>7.0f} "
                      f"{statistics.fmean(passages):>9.2f} {1e3 * seconds / len(retrieved):>7.2f}")


if __name__ == "__main__":
    main()
