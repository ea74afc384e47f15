"""How much of the answer-quality gap is the reader: the default model's replies under other views of the same
retrieved context, a vote over them, and the share any view gets right (the ceiling a self-consistency or
context-arrangement change could reach with this model).

SQuAD v1.1 part A articles written as files (as benchmarks/answer_quality.py), the default pipeline; each
answerable question is retrieved once per view and answered by the knowledge base's model with the rag-answer
prompt. Views: the passages as the chain gives them (context budget 'auto'), the same passages listed last to first
(their numbers kept), and the passages cut to tighter budgets. A reply counts when it states a gold answer
(ragkit.eval.breakdown.gold_contained; no guardrail, which replaced no reply in these runs). The vote keeps the
reply whose new words (those not in the question) agree most with the other views' (Jaccard; ties: the first view).

    .venv/bin/python benchmarks/reader_views.py --seeds 0 1 2 [--budgets 200 150] [--limit N] [--model gemma3-270m]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections import Counter
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ragkit import Citation, RagChain  # noqa: E402
from ragkit.chains.grounding import content_words  # noqa: E402
from ragkit.eval.breakdown import gold_contained  # noqa: E402
from ragkit.eval.data import shared_data_or_say  # noqa: E402
from ragkit.eval.kbset import squad_kb_set  # noqa: E402
from ragkit.eval.squad import load_squad  # noqa: E402
from ragkit.kb import KnowledgeBase, shared_chat_model  # noqa: E402
from ragkit.settings import RetrievalSettings  # noqa: E402


def reply(chain: RagChain, question: str, passages: list[Citation]) -> str:
    """The chain's model answering from these passages, through the chain's own prompt, layout and parameters."""
    message = chain._generator().invoke(chain._inputs(question, passages))
    return str(getattr(message, "content", message)).strip()


def vote(replies: list[str], question: str) -> int:
    """Index of the reply whose words beyond the question agree most with the other replies'."""
    asked = set(content_words(question))
    new = [set(content_words(r)) - asked for r in replies]

    def agreement(i: int) -> float:
        return sum(len(new[i] & new[j]) / len(new[i] | new[j]) if new[i] | new[j] else 1.0
                   for j in range(len(new)) if j != i)

    return max(range(len(replies)), key=lambda i: (agreement(i), -i))


def views(kb: KnowledgeBase, question: str, budgets: list[int]) -> dict[str, list[Citation]]:
    """The passages of each view of one question's context."""
    shipped = kb.chain().retrieve(question)
    found = {"as shipped": shipped, "reversed": shipped[::-1]}
    for budget in budgets:
        found[f"budget {budget}"] = kb.chain(RetrievalSettings(context_tokens=budget)).retrieve(question)
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--indexed", type=int, default=18, help="SQuAD part A articles indexed (of 24)")
    parser.add_argument("--per-article", type=int, default=2)
    parser.add_argument("--budgets", type=int, nargs="+", default=[200, 150])
    parser.add_argument("--limit", type=int, default=None, help="Ask only the first N questions of each seed.")
    parser.add_argument("--model", default=None, help="A preset or .gguf path (default: the default model), to "
                        "judge another reader before making it the default.")
    args = parser.parse_args()
    squad = shared_data_or_say("squad")
    if squad is None:
        return
    articles = load_squad(squad / "dev-v1.1-part-a.json")
    llm = shared_chat_model("llamacpp", args.model)
    model = getattr(llm, "model_name", None) or type(llm).__name__
    stated: Counter[str] = Counter()
    asked, started = 0, time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ragkit-views-") as name:
        for seed in args.seeds:
            kb_set = squad_kb_set(articles, args.indexed, args.per_article, 0, 8, seed)
            kb = KnowledgeBase(path=Path(name) / f"s{seed}", llm=llm, cache=False, events=False)
            kb.index(kb_set.write(Path(name) / f"docs{seed}"))
            for item in kb_set.items[: args.limit]:
                found = views(kb, item.question, args.budgets)
                if not found["as shipped"]:
                    continue  # refused before the model: no reader to judge
                replies = {view: reply(kb.chain(), item.question, passages) for view, passages in found.items()}
                right = {view: gold_contained(text, item.answers) for view, text in replies.items()}
                chosen = list(replies)[vote(list(replies.values()), item.question)]
                stated.update([view for view, ok in right.items() if ok])
                stated.update(["vote"] * right[chosen] + ["any view"] * any(right.values()))
                asked += 1
                marks = " ".join("+" if ok else "-" for ok in right.values())
                print(f"s{seed} {marks} vote:{'+' if right[chosen] else '-'} {item.question[:70]!r}", flush=True)
    print(f"\n{asked} answered questions, {time.perf_counter() - started:.0f} s, model {model}")
    for view in ["as shipped", "reversed", *(f"budget {b}" for b in args.budgets), "vote", "any view"]:
        print(f"{view:14s} gold stated {stated[view]:4d} ({stated[view] / max(asked, 1):.1%})")


if __name__ == "__main__":
    main()
