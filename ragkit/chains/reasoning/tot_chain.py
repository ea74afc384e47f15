"""Tree-of-Thoughts as a four-stage prompt chain: generate N distinct solutions to a problem given factors,
evaluate each, deepen the most promising, then rank them all."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from ragkit.chains.reasoning import answers
from ragkit.chains.reasoning.engine import Call, ReasoningChain, ReasoningResult, Run, Steps


class Solution(BaseModel):
    """One proposed solution and what the later stages made of it."""

    number: int
    text: str
    score: float | None
    """Evaluation score as a fraction of 10; None when the evaluation did not parse (ranked as 0)."""
    evaluation: str | None
    deepened: str | None
    """The deepened analysis, for the solutions chosen for it."""


class ToTChainResult(ReasoningResult):
    """The top-ranked solution (the answer), every solution, and the ranking."""

    solutions: list[Solution]
    ranking: list[int]
    """Solution numbers, best first."""
    ranking_parsed: bool
    """False when the rank reply did not parse and the evaluation scores decided the order."""


class TreeOfThoughtChain(ReasoningChain[ToTChainResult]):
    """Inputs `problem` and optional `factors`. Calls: 1 generate + N evaluate + `deepen` deepen + 1 rank."""

    DEFAULT_PROMPTS: ClassVar[dict[str, str]] = {"generate": "tot-solutions", "evaluate": "tot-evaluate",
                                                 "deepen": "tot-deepen", "rank": "tot-rank"}
    required: ClassVar[tuple[str, ...]] = ("problem",)
    solutions: int = Field(default=3, ge=1)
    deepen: int = Field(default=1, ge=0)
    """How many of the best-evaluated solutions are deepened."""

    def steps(self, run: Run) -> Steps[ToTChainResult]:
        inputs = {"factors": "", **run.inputs, "n": self.solutions}
        (reply,) = yield [Call("generate", "generate", inputs)]
        texts = answers.distinct(answers.items(reply), self.solutions)
        if not texts:
            return ToTChainResult(answer=None, ok=False, solutions=[], ranking=[], ranking_parsed=False,
                                  **run.common())
        evaluations = yield [Call("evaluate", "evaluate", {**inputs, "solution": t}) for t in texts]
        scores = [answers.score(e) for e in evaluations]
        by_score = sorted(range(len(texts)), key=lambda i: (-(scores[i] or 0.0), i))
        chosen = by_score[: self.deepen]
        deepened = yield [Call("deepen", "deepen", {**inputs, "solution": texts[i], "evaluation": evaluations[i]
                                                    or ""}) for i in chosen]
        deep = dict(zip(chosen, deepened))
        solutions = [Solution(number=i + 1, text=t, score=scores[i], evaluation=evaluations[i], deepened=deep.get(i))
                     for i, t in enumerate(texts)]
        (ranked,) = yield [Call("rank", "rank", {**inputs, "solutions": [s.model_dump() for s in solutions]})]
        parsed = answers.numbers(_ranking_line(ranked), len(texts))
        ranking = parsed + [i + 1 for i in by_score if i + 1 not in parsed]
        best = solutions[ranking[0] - 1].text
        return ToTChainResult(answer=best, ok=True, solutions=solutions, ranking=ranking, ranking_parsed=bool(parsed),
                              **run.common())


def _ranking_line(reply: str | None) -> str | None:
    """The line that states the ranking ('Ranking: 2, 1, 3'), else the first line."""
    lines = [line for line in (reply or "").splitlines() if line.strip()]
    marked = [line.split(":", 1)[-1] for line in lines if line.lower().lstrip("*# ").startswith("ranking")]
    return marked[0] if marked else lines[0] if lines else None
