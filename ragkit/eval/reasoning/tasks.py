"""Evaluation tasks: where problems come from and when an attempt counts as right. Word problems (GSM8K-style
JSONL) are built in; other tasks register a `Task` under a name."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict

from ragkit.chains.reasoning.engine import ReasoningResult
from ragkit.chains.reasoning.numeric import parse_number
from ragkit.errors import InvalidInputError


class Problem(BaseModel):
    """One problem of a task: what is asked, the gold answer, and anything else its task needs."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    id: str
    question: str
    answer: str
    """The gold final answer as text (GSM8K's `#### N` already cut to N)."""
    data: dict[str, Any] = {}
    """The task's own fields (e.g. facts for a multi-hop question, the numbers of a 24 puzzle)."""


class Task(Protocol):
    """A kind of problem: how to read a file of them, what a technique is given, and how an attempt is scored."""

    name: str

    def load(self, path: Path) -> list[Problem]:
        """The problems of a file, in order; InvalidInputError naming the line when one is malformed."""
        ...

    def inputs(self, problem: Problem) -> dict[str, Any]:
        """What the technique's chain is invoked with."""
        ...

    def score(self, problem: Problem, result: ReasoningResult) -> bool:
        """Whether the attempt's answer is right."""
        ...


_ANNOTATION = re.compile(r"<<[^<>]*>>")


def gold_answer(text: str) -> str:
    """The final answer of a GSM8K answer field (after `####`, thousands commas kept for parsing), else the text."""
    return text.rsplit("####", 1)[-1].strip() if "####" in text else text.strip()


def worked_solution(text: str) -> str:
    """A GSM8K solution without its `<<48/2=24>>` calculator annotations and its `#### N` line."""
    return _ANNOTATION.sub("", text.rsplit("####", 1)[0]).strip()


def same_answer(got: str | None, gold: str) -> bool:
    """Numbers compare as numbers (1e-6 relative); other answers compare case- and space-folded."""
    if got is None:
        return False
    mine, theirs = parse_number(got), parse_number(gold)
    if theirs is not None:
        return mine is not None and abs(mine - theirs) <= abs(theirs) * 1e-6 + 1e-9
    return " ".join(got.casefold().split()).rstrip(".") == " ".join(gold.casefold().split()).rstrip(".")


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The objects of a JSONL file; InvalidInputError naming the first bad line."""
    if not path.is_file():
        raise InvalidInputError(f"{path}: no such file")
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InvalidInputError(f"{path}:{number}: not JSON: {exc.msg}") from None
        if not isinstance(row, dict):
            raise InvalidInputError(f"{path}:{number}: expected a JSON object")
        rows.append(row)
    return rows


class WordProblems:
    """`{"question", "answer"}` rows (GSM8K's worked answers ending `#### N` understood), English or Chinese;
    optional `id` and `facts` (a list, given to techniques that reason over facts)."""

    name = "word-problems"

    def load(self, path: Path) -> list[Problem]:
        problems = []
        for number, row in enumerate(read_jsonl(path), start=1):
            question, answer = row.get("question"), row.get("answer")
            if not isinstance(question, str) or not question.strip() or not isinstance(answer, str | int | float):
                raise InvalidInputError(f"{path}: row {number} needs a text \"question\" and an \"answer\"")
            data = {"facts": row["facts"]} if "facts" in row else {}
            problems.append(Problem(id=str(row.get("id", number)), question=question.strip(),
                                    answer=gold_answer(str(answer)), data=data))
        if not problems:
            raise InvalidInputError(f"{path}: no problems")
        return problems

    def inputs(self, problem: Problem) -> dict[str, Any]:
        return {"question": problem.question, **problem.data}

    def score(self, problem: Problem, result: ReasoningResult) -> bool:
        return same_answer(result.answer, problem.answer)
