"""Why each answer of a knowledge base is right or wrong: one outcome per question, counted, saved and charted.

Answerable questions end in one of ANSWERABLE_OUTCOMES (the first that applies, in that order); questions whose
documents are not in the knowledge base (no gold answers) are either refused or answered. Gold answers are
matched after SQuAD normalization, on words for English and on characters for Chinese (no spaces to split on).
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ragkit.answer import Answer, Citation, says_not_found
from ragkit.eval.qa import QAItem, exact_match, normalize_answer, strip_citations, token_f1
from ragkit.eval.textmetrics import rouge_l, sentence_bleu, text_scores
from ragkit.text import has_han

ANSWERABLE_OUTCOMES = ("retrieval miss", "refused", "guardrail broke a right reply", "guardrail rescued a wrong one",
                       "cited the wrong passage", "model wrong", "right")
"""Outcomes of a question the knowledge base can answer: the gold passage was not retrieved; the chain refused;
the guardrail replaced a reply holding the gold answer by a quote without it; it replaced a wrong reply by a quote
holding it; the answer states the gold but cites no passage of its source; the answer lacks the gold; right
(gold stated, a passage of the gold source cited)."""
UNANSWERABLE_OUTCOMES = ("refused (correct)", "answered (should refuse)")
"""Outcomes of a question whose documents are not in the knowledge base."""


def _characters(text: str) -> str:
    """Lower-cased NFKC characters without spaces, punctuation or symbols: Chinese compared character by character."""
    text = unicodedata.normalize("NFKC", text).lower()
    return "".join(ch for ch in text if not ch.isspace() and unicodedata.category(ch)[0] not in "PSZ")


def gold_contained(text: str, golds: Sequence[str]) -> bool:
    """Whether a gold answer occurs in the text: as a run of SQuAD-normalized words (after NFKC: "m²" is "m2"), or
    where either has Chinese characters as a run of characters (punctuation, spaces and full-width forms ignored)."""
    text = strip_citations(text)
    for gold in golds:
        if has_han(gold) or has_han(text):
            wanted = _characters(gold)
            if wanted and wanted in _characters(text):
                return True
            continue
        wanted_words, words = (normalize_answer(unicodedata.normalize("NFKC", t)).split() for t in (gold, text))
        if wanted_words and any(words[i : i + len(wanted_words)] == wanted_words
                                for i in range(len(words) - len(wanted_words) + 1)):
            return True
    return False


def from_source(passage: Citation, gold: str) -> bool:
    """Whether a passage belongs to the gold source: its chunk id, its source, or the source's file name or stem."""
    name = Path(passage.source).name
    return gold in (passage.chunk_id, passage.source, name, Path(name).stem)


def refused(answer: Answer) -> bool:
    """Whether the answer is the no-answer reply (the model not called, or saying the documents do not say)."""
    return not answer.found or says_not_found(answer.text)


def classify(answer: Answer, item: QAItem) -> str:
    """The outcome of one answer (see ANSWERABLE_OUTCOMES and UNANSWERABLE_OUTCOMES)."""
    no_answer = refused(answer)
    if not item.answers:
        return UNANSWERABLE_OUTCOMES[0] if no_answer else UNANSWERABLE_OUTCOMES[1]
    if item.gold is not None and not any(from_source(p, item.gold) for p in answer.passages):
        return "retrieval miss"
    if no_answer:
        return "refused"
    stated, replied = gold_contained(answer.text, item.answers), gold_contained(answer.generated, item.answers)
    if answer.extractive and replied and not stated:
        return "guardrail broke a right reply"
    if not stated:
        return "model wrong"
    if item.gold is not None and not any(from_source(c, item.gold) for c in answer.citations):
        return "cited the wrong passage"
    if answer.extractive and not replied:
        return "guardrail rescued a wrong one"
    return "right"


@dataclass
class Breakdown:
    """Outcome counts and rates of one evaluation run, and one row per question."""

    name: str
    answerable: int
    unanswerable: int
    outcomes: dict[str, int]
    right: float
    """Share of answerable questions answered right (gold stated, gold source cited)."""
    contained: float
    """Share of answerable questions whose final answer contains a gold answer, cited or not."""
    exact_match: float
    f1: float
    rouge_l: float
    """Mean ROUGE-L F-measure (0-1) of the answers of answerable questions against their gold answers."""
    bleu: float
    """Corpus BLEU (0-100) of those answers (ragkit.eval.textmetrics.text_scores)."""
    citation_accuracy: float | None
    """Share of answerable questions with a known gold source whose first citation is from it."""
    refusal_rate: float | None
    """Share of unanswerable questions refused (None without any)."""
    false_refusal_rate: float
    """Share of answerable questions refused."""
    replaced: int
    """Answers the guardrail replaced."""
    seconds_median: float
    rows: list[dict[str, Any]] = field(default_factory=list)


def answer_row(answer: Answer, item: QAItem) -> dict[str, Any]:
    """Everything needed to judge (or replay the guardrail on) one answer, as JSON-ready values."""
    first = answer.citations[0] if answer.citations else None
    return {
        "question": item.question, "gold": list(item.answers), "source": item.gold,
        "outcome": classify(answer, item), "answer": answer.text, "generated": answer.generated,
        "found": answer.found, "refused": refused(answer), "extractive": answer.extractive,
        "replaced_because": getattr(answer, "replaced_because", ""),
        "contained": bool(item.answers) and gold_contained(answer.text, item.answers),
        "em": exact_match(strip_citations(answer.text), item.answers) if item.answers else 0.0,
        "f1": token_f1(strip_citations(answer.text), item.answers) if item.answers else 0.0,
        "rouge_l": rouge_l(strip_citations(answer.text), item.answers) if item.answers else 0.0,
        "bleu": sentence_bleu(strip_citations(answer.text), item.answers) if item.answers else 0.0,
        "cited_gold": None if item.gold is None or not item.answers else bool(first and from_source(first, item.gold)),
        "citations": [{"n": c.n, "source": c.source, "inferred": c.inferred} for c in answer.citations],
        "passages": [{"n": p.n, "source": p.source, "chunk_id": p.chunk_id, "score": p.score, "text": p.text}
                     for p in answer.passages],
        "seconds": answer.timings.get("total_s", 0.0),
    }


def summarize(name: str, rows: Sequence[dict[str, Any]]) -> Breakdown:
    """Counts and rates over rows made by answer_row."""
    answerable = [r for r in rows if r["gold"]]
    other = [r for r in rows if not r["gold"]]
    counts = Counter(r["outcome"] for r in rows)
    judged = [r["cited_gold"] for r in answerable if r["cited_gold"] is not None]
    seconds = sorted(r["seconds"] for r in rows)

    def share(values: Sequence[Any]) -> float:
        return sum(float(v) for v in values) / len(values) if values else 0.0

    texts = (text_scores([strip_citations(r["answer"]) for r in answerable], [r["gold"] for r in answerable])
             if answerable else {"rouge_l": 0.0, "bleu": 0.0})

    return Breakdown(
        name, len(answerable), len(other),
        {o: counts[o] for o in ANSWERABLE_OUTCOMES + (UNANSWERABLE_OUTCOMES if other else ())},
        share([r["outcome"] == "right" for r in answerable]), share([r["contained"] for r in answerable]),
        share([r["em"] for r in answerable]), share([r["f1"] for r in answerable]), texts["rouge_l"], texts["bleu"],
        share(judged) if judged else None,
        share([r["outcome"] == UNANSWERABLE_OUTCOMES[0] for r in other]) if other else None,
        share([r["refused"] for r in answerable]), sum(bool(r["extractive"]) for r in rows),
        seconds[len(seconds) // 2] if seconds else 0.0, list(rows))


def evaluate_breakdown(name: str, ask: Callable[[str], Answer], items: Sequence[QAItem],
                       progress: Callable[[int], None] | None = None) -> Breakdown:
    """Ask every question (e.g. KnowledgeBase.ask) and classify each answer."""
    rows = []
    for item in items:
        rows.append(answer_row(ask(item.question), item))
        if progress:
            progress(1)
    return summarize(name, rows)


def table_lines(results: Sequence[Breakdown]) -> list[str]:
    """A plain-text table, one column per run: outcome counts, then the rates."""
    header = f"{'':34s}" + "".join(f"{r.name[:18]:>20s}" for r in results)
    lines = [header]
    outcomes = ANSWERABLE_OUTCOMES + (UNANSWERABLE_OUTCOMES if any(r.unanswerable for r in results) else ())
    for outcome in outcomes:
        lines.append(f"{outcome:34s}" + "".join(f"{r.outcomes.get(outcome, 0):>20d}" for r in results))

    def rate(value: float | None) -> str:
        return f"{'-' if value is None else f'{value:.1%}':>20s}"

    for label, key in (("right (of answerable)", "right"), ("gold answer contained", "contained"),
                       ("exact match", "exact_match"), ("token F1", "f1"), ("ROUGE-L F", "rouge_l")):
        lines.append(f"{label:34s}" + "".join(rate(getattr(r, key)) for r in results))
    lines.append(f"{'BLEU (corpus, 0-100)':34s}" + "".join(f"{r.bleu:>20.1f}" for r in results))
    for label, key in (("citation accuracy", "citation_accuracy"), ("out-of-KB refused", "refusal_rate"),
                       ("answerable refused", "false_refusal_rate")):
        lines.append(f"{label:34s}" + "".join(rate(getattr(r, key)) for r in results))
    lines.append(f"{'guardrail replaced':34s}" + "".join(f"{r.replaced:>20d}" for r in results))
    lines.append(f"{'median s/answer':34s}" + "".join(f"{r.seconds_median:>20.1f}" for r in results))
    return lines


def write_breakdown(results: Sequence[Breakdown], out: Path, settings: dict[str, Any]) -> tuple[Path, Path]:
    """breakdown.json (settings, every run's figures and rows) and breakdown.png (outcomes per run, stacked)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    out.mkdir(parents=True, exist_ok=True)
    json_path, png_path = out / "breakdown.json", out / "breakdown.png"
    json_path.write_text(json.dumps({"settings": settings, "results": [asdict(r) for r in results]},
                                    ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    outcomes = [o for o in ANSWERABLE_OUTCOMES + UNANSWERABLE_OUTCOMES if any(r.outcomes.get(o) for r in results)]
    fig, ax = plt.subplots(figsize=(2 + 1.6 * len(results), 4.5))
    bottoms = [0] * len(results)
    for outcome in outcomes:
        values = [r.outcomes.get(outcome, 0) for r in results]
        ax.bar([r.name for r in results], values, bottom=bottoms, label=outcome)
        bottoms = [b + v for b, v in zip(bottoms, values)]
    ax.set_ylabel("questions")
    ax.set_title("answer outcomes")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1, 1))
    fig.tight_layout()
    fig.savefig(png_path, dpi=120)
    plt.close(fig)
    return json_path, png_path
