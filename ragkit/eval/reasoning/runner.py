"""Run techniques over a task's problems: one row per (technique, problem) with its answer, calls, tokens and
seconds, appended to a log as it is made so an interrupted run resumes where it stopped."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseLanguageModel
from langchain_core.outputs import LLMResult
from pydantic import BaseModel, ConfigDict

from ragkit.chains.reasoning import ProgramResult, ReasoningResult, SelfConsistencyResult
from ragkit.eval.reasoning.tasks import Problem, Task, read_jsonl
from ragkit.eval.reasoning.techniques import Setup, Technique


class Row(BaseModel):
    """One technique's attempt at one problem."""

    model_config = ConfigDict(extra="forbid")
    technique: str
    id: str
    gold: str
    answer: str | None
    right: bool
    calls: int
    seconds: float
    prompt_tokens: int
    completion_tokens: int
    budget_exhausted: bool = False
    samples: list[str | None] | None = None
    """Each sample's answer, in draw order, for the voting techniques (a sample-count curve reads the first k)."""
    call_tokens: list[int] = []
    """Completion tokens of each model call, in order (how many replies reach a prompt's max_tokens)."""
    replies: list[str | None] = []
    """Each call's reply, in order (None for a call the budget skipped): what a failure analysis reads."""


class Summary(BaseModel):
    """A technique over all problems: right count, accuracy, and per-problem means of cost."""

    right: int
    n: int
    accuracy: float
    calls: float
    seconds: float
    prompt_tokens: float
    completion_tokens: float


class UsageCounter(BaseCallbackHandler):
    """Sums the token usage the chat model reports (llama.cpp's prompt and completion counts) over a run."""

    def __init__(self) -> None:
        self.prompt_tokens = self.completion_tokens = 0
        self.call_tokens: list[int] = []
        self._lock = threading.Lock()

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        for generations in response.generations:
            for generation in generations:
                usage = getattr(getattr(generation, "message", None), "usage_metadata", None) or {}
                with self._lock:
                    self.prompt_tokens += int(usage.get("input_tokens", 0))
                    self.completion_tokens += int(usage.get("output_tokens", 0))
                    self.call_tokens.append(int(usage.get("output_tokens", 0)))


def choose(problems: list[Problem], limit: int | None, seed: int) -> list[Problem]:
    """All problems, or a seeded sample of `limit` of them kept in file order."""
    if limit is None or limit >= len(problems):
        return problems
    picked = sorted(random.Random(seed).sample(range(len(problems)), limit))
    return [problems[i] for i in picked]


def attempt(task: Task, technique: Technique, chain: Any, problem: Problem) -> Row:
    """One problem through one technique's chain, timed and with its token counts."""
    usage = UsageCounter()
    started = time.perf_counter()
    result = chain.invoke(task.inputs(problem), config={"callbacks": [usage]})
    seconds = time.perf_counter() - started
    return Row(technique=technique.name, id=problem.id, gold=problem.answer, answer=result.answer,
               right=task.score(problem, result), calls=result.calls, seconds=round(seconds, 3),
               prompt_tokens=usage.prompt_tokens, completion_tokens=usage.completion_tokens,
               budget_exhausted=result.budget_exhausted, samples=sample_answers(result),
               call_tokens=usage.call_tokens, replies=[call.output for call in result.trace])


def sample_answers(result: ReasoningResult) -> list[str | None] | None:
    """Each sample's answer of a voting technique's result; None for the others."""
    if isinstance(result, SelfConsistencyResult):
        return list(result.samples)
    if isinstance(result, ProgramResult) and len(result.runs) > 1:
        return [run.answer for run in result.runs]
    return None


def evaluate(task: Task, problems: Sequence[Problem], techniques: Sequence[Technique], llm: BaseLanguageModel,
             setup: Setup, log: Path | None = None, progress: Callable[[Row], None] | None = None) -> list[Row]:
    """Every technique on every problem, technique by technique; rows already in `log` are reused, new ones are
    appended to it at once."""
    done = {(r["technique"], r["id"]): Row(**r) for r in (read_jsonl(log) if log and log.is_file() else [])}
    rows: list[Row] = []
    for technique in techniques:
        chain = None
        for problem in problems:
            row = done.get((technique.name, problem.id))
            if row is None:
                chain = chain or technique.build(llm, setup)
                row = attempt(task, technique, chain, problem)
                if log is not None:
                    with log.open("a", encoding="utf-8") as out:
                        out.write(row.model_dump_json() + "\n")
            rows.append(row)
            if progress is not None:
                progress(row)
    return rows


def summarize(rows: Sequence[Row]) -> dict[str, Summary]:
    """Per technique, in first-seen order: right, n, accuracy and per-problem means."""
    by_name: dict[str, list[Row]] = {}
    for row in rows:
        by_name.setdefault(row.technique, []).append(row)
    return {name: Summary(right=sum(r.right for r in mine), n=len(mine), accuracy=sum(r.right for r in mine) / len(mine),
                          calls=_mean(r.calls for r in mine), seconds=_mean(r.seconds for r in mine),
                          prompt_tokens=_mean(r.prompt_tokens for r in mine),
                          completion_tokens=_mean(r.completion_tokens for r in mine))
            for name, mine in by_name.items()}


def _mean(values: Any) -> float:
    values = list(values)
    return round(sum(values) / len(values), 3) if values else 0.0


def write_json(rows: Sequence[Row], path: Path) -> None:
    """`{"results": {technique: summary}, "problems": [row, ...]}`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    report = {"results": {k: v.model_dump() for k, v in summarize(rows).items()},
              "problems": [r.model_dump() for r in rows]}
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
