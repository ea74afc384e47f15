"""The Game-of-24 task of `ragkit eval reasoning --game24 FILE`: one puzzle of four numbers a line, an attempt
right when ragkit's exact checker accepts its expression; and the `tot` technique, Tree-of-Thoughts over it."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

from ragkit.chains.reasoning import game24
from ragkit.chains.reasoning.engine import ReasoningResult
from ragkit.chains.reasoning.tot_game24 import Game24Search
from ragkit.errors import InvalidInputError
from ragkit.eval.reasoning.tasks import Problem
from ragkit.eval.reasoning.techniques import Technique, register

TOT_BREADTH = 3
TOT_MAX_CALLS = 40


class Game24:
    """Puzzles such as '4 5 6 10' (blank lines and '#' comments skipped); scored by `game24.check`."""

    name = "game24"
    prompt_ids = {"answer": "game24-direct", "reason": "game24-cot"}
    """The prompts the single-call techniques use on this task (direct, few-shot-cot, self-consistency)."""

    def load(self, path: Path) -> list[Problem]:
        """Puzzles of a text file (ids: line numbers) or of Yao et al.'s `24.csv` (its `Puzzles` column; ids: the
        0-based row index their code uses, so their test range is ids 900-999)."""
        if not path.is_file():
            raise InvalidInputError(f"{path}: no such file")
        lines = path.read_text(encoding="utf-8").splitlines()
        if lines and "Puzzles" in lines[0].split(","):
            column = lines[0].split(",").index("Puzzles")
            numbered = [(str(i), row[column] if len(row) > column else "")
                        for i, row in enumerate(csv.reader(lines[1:]))]
        else:
            numbered = [(str(i), line) for i, line in enumerate(lines, start=1)
                        if line.strip() and not line.lstrip().startswith("#")]
        problems = []
        for number, line in numbered:
            try:
                numbers = game24.parse_puzzle(line)
            except InvalidInputError as exc:
                raise InvalidInputError(f"{path}:{number}: {exc}") from None
            problems.append(Problem(id=number, question=" ".join(map(str, numbers)), answer="24"))
        if not problems:
            raise InvalidInputError(f"{path}: no puzzles")
        return problems

    def inputs(self, problem: Problem) -> dict[str, Any]:
        return {"question": problem.question}

    def score(self, problem: Problem, result: ReasoningResult) -> bool:
        """Right when the answer, the expression on the reply's answer line, or the expression its steps build
        solves the puzzle exactly (a reply whose steps are right counts even when its answer line is not)."""
        numbers = game24.parse_puzzle(problem.question)
        reasoning = getattr(result, "reasoning", None)
        tries = [result.answer, game24.extract(reasoning), game24.follow(numbers, reasoning)]
        return any(game24.check(numbers, text).ok for text in tries if text)


register(Technique("tot", lambda llm, s: Game24Search(llm=llm, breadth=TOT_BREADTH, max_calls=TOT_MAX_CALLS),
                   "Game of 24 only: the model proposes and values steps, ragkit checks them; beam search"))
