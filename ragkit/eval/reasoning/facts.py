"""The fact-question task of `ragkit eval reasoning --jsonl FILE --task facts`: `{"question", "answer", "facts"}`
rows (a multi-hop question with the facts that answer it, e.g. StrategyQA's), every technique given the facts."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from ragkit.chains.reasoning.engine import ReasoningResult
from ragkit.errors import InvalidInputError
from ragkit.eval.reasoning.tasks import Problem, WordProblems, same_answer

_YES_NO = re.compile(r"\b(yes|no|true|false)\b|(是|否|不是|对|错)", re.IGNORECASE)
_POLARITY = {"yes": "yes", "true": "yes", "是": "yes", "对": "yes", "no": "no", "false": "no", "否": "no",
             "不是": "no", "错": "no"}


def polarity(text: str | None) -> str | None:
    """'yes' or 'no' from the first yes/no word of an answer ('No, because ...' -> 'no'; 是 / 不是), else None."""
    match = _YES_NO.search(text or "")
    return _POLARITY[match.group(0).casefold()] if match else None


class FactQuestions(WordProblems):
    """Rows need a `facts` list; techniques get it as `facts` (selection-inference) and as numbered `context`
    (the other prompts). Yes/no gold answers are compared by polarity, others as word problems are."""

    name = "facts"
    prompt_ids = {"answer": "facts-direct"}
    """The direct prompt that shows the facts and does not insist on a number."""

    def load(self, path: Path) -> list[Problem]:
        problems = super().load(path)
        for number, problem in enumerate(problems, start=1):
            facts = problem.data.get("facts")
            if not isinstance(facts, list) or not facts or not all(isinstance(f, str) for f in facts):
                raise InvalidInputError(f"{path}: row {number} needs \"facts\", a list of sentences")
        return problems

    def inputs(self, problem: Problem) -> dict[str, Any]:
        facts = problem.data["facts"]
        return {"question": problem.question, "facts": facts,
                "context": "\n".join(f"[{n}] {fact}" for n, fact in enumerate(facts, start=1))}

    def score(self, problem: Problem, result: ReasoningResult) -> bool:
        gold = polarity(problem.answer)
        if gold is not None and problem.answer.strip().casefold() in _POLARITY:
            return polarity(result.answer) == gold
        return same_answer(result.answer, problem.answer)
