"""Least-to-most prompting (Zhou et al. 2022): decompose a problem into subquestions, then solve them in order,
each with the answers before it."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from ragkit.chains.reasoning import answers
from ragkit.chains.reasoning.engine import Call, ReasoningChain, ReasoningResult, Run, Steps


class SubAnswer(BaseModel):
    """A subquestion and the answer found for it (None when the reply did not parse)."""

    question: str
    answer: str | None


class LeastToMostResult(ReasoningResult):
    """The answer to the last subquestion (the problem itself) and the steps before it."""

    subquestions: list[SubAnswer]


class LeastToMost(ReasoningChain[LeastToMostResult]):
    """One decomposition call, then one call per subquestion; the problem's own question is always solved last."""

    DEFAULT_PROMPTS: ClassVar[dict[str, str]] = {"decompose": "l2m-decompose", "solve": "l2m-solve"}
    max_subquestions: int = Field(default=4, ge=1)

    def steps(self, run: Run) -> Steps[LeastToMostResult]:
        question = str(run.inputs["question"])
        (plan,) = yield [Call("decompose", "decompose", run.inputs)]
        subquestions = answers.distinct(answers.items(plan), self.max_subquestions)
        if not subquestions:
            return LeastToMostResult(answer=None, ok=False, subquestions=[], **run.common())
        if answers.normalize(subquestions[-1]) != answers.normalize(question):
            subquestions = [*subquestions[: self.max_subquestions - 1], question]
        solved: list[SubAnswer] = []
        for sub in subquestions:
            (reply,) = yield [Call("solve", "solve", {**run.inputs, "subquestion": sub,
                                                      "solved": [s.model_dump() for s in solved]})]
            solved.append(SubAnswer(question=sub, answer=answers.final_answer(reply) or answers.first_line(reply)))
        answer = solved[-1].answer
        return LeastToMostResult(answer=answer, ok=answer is not None, subquestions=solved, **run.common())
