"""Program-aided reasoning (Gao et al. 2023, PAL): the model writes a Python function `solution()`, ragkit runs it
in its bounded safe evaluator and the returned value is the answer; with several samples, a majority vote over
the programs' results."""

from __future__ import annotations

import re
from fractions import Fraction
from typing import Any, ClassVar

from pydantic import Field

from ragkit.chains.reasoning import answers
from ragkit.chains.reasoning.engine import ReasoningResult, Run, Steps
from ragkit.chains.reasoning.numeric import canonical
from ragkit.chains.reasoning.safe_eval import Limits, ProgramOutcome, run_program
from ragkit.chains.reasoning.self_consistency import SampledChain

_CODE = re.compile(r"```(?:python|py)?[ \t]*\n(.*?)(?:```|\Z)", re.DOTALL | re.IGNORECASE)


class ProgramRun(ProgramOutcome):
    """One sample: the program extracted from the reply and what running it gave."""

    program: str | None
    answer: str | None


class ProgramResult(ReasoningResult):
    """The answer (the majority of the programs' results), the vote, and every program with its outcome."""

    votes: dict[str, int]
    runs: list[ProgramRun]


class ProgramAided(SampledChain[ProgramResult]):
    """`samples` calls of the program prompt (default 1, greedy); each reply's code block is run with `entry()`."""

    DEFAULT_PROMPTS: ClassVar[dict[str, str]] = {"program": "pal-program"}
    samples: int = Field(default=1, ge=1)
    entry: str = "solution"
    limits: Limits = Field(default_factory=Limits)

    def steps(self, run: Run) -> Steps[ProgramResult]:
        replies = yield self.sample_calls("program", "program", run.inputs)
        runs = [self._run(reply) for reply in replies]
        answer, votes = answers.majority([r.answer for r in runs])
        return ProgramResult(answer=answer, ok=answer is not None, votes=votes, runs=runs, **run.common())

    def _run(self, reply: str | None) -> ProgramRun:
        program = extract_program(reply)
        if program is None:
            return ProgramRun(program=None, answer=None, refused="no program in the reply")
        outcome = run_program(program, self.entry, self.limits)
        value = answer_text(outcome.value) if outcome.refused is None else None
        refused = outcome.refused or (None if value is not None else f"{self.entry}() returned {outcome.value!r}")
        return ProgramRun(program=program, answer=value, value=outcome.value, refused=refused, steps=outcome.steps)


def extract_program(reply: str | None) -> str | None:
    """The code of a reply: its fenced block defining a function (the last such), else the reply when it does."""
    blocks = [b for b in _CODE.findall(reply or "") if "def " in b]
    if blocks:
        return blocks[-1].strip()
    return reply.strip() if reply and "def " in reply else None


def answer_text(value: Any) -> str | None:
    """A returned value as an answer: numbers canonical (floats rounded to 6 decimals), text as it is; None for
    anything else (None, lists, ...)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return canonical(Fraction(repr(round(value, 6)))) if value == value and abs(value) != float("inf") else None
    return (value.strip() or None) if isinstance(value, str) else None
