"""Selection-inference (Creswell et al. 2022): alternate choosing the facts for one step and inferring a new fact
from only those, then answer from the facts derived."""

from __future__ import annotations

from typing import ClassVar

from pydantic import BaseModel, Field

from ragkit.chains.reasoning import answers
from ragkit.chains.reasoning.engine import Call, ReasoningChain, ReasoningResult, Run, Steps
from ragkit.errors import InvalidInputError


class InferenceStep(BaseModel):
    """One selection (1-based fact numbers) and the fact inferred from it."""

    selected: list[int]
    inferred: str | None


class SelectionInferenceResult(ReasoningResult):
    """The answer, every fact it could use (given then derived) and the steps that derived them."""

    facts: list[str]
    steps_taken: list[InferenceStep]


class SelectionInference(ReasoningChain[SelectionInferenceResult]):
    """Inputs: `question` and `facts` (a list, or text one fact per line); with a retriever and no facts, the
    retrieved chunks are the facts. Each step is a selection call and an inference call; one answer call ends."""

    DEFAULT_PROMPTS: ClassVar[dict[str, str]] = {"select": "si-select", "infer": "si-infer", "answer": "si-answer"}
    required: ClassVar[tuple[str, ...]] = ("question",)
    reasoning_steps: int = Field(default=2, ge=1)

    def steps(self, run: Run) -> Steps[SelectionInferenceResult]:
        facts = self._facts(run)
        taken: list[InferenceStep] = []
        for _ in range(self.reasoning_steps):
            (selection,) = yield [Call("select", "select", {**run.inputs, "facts": facts})]
            chosen = answers.numbers(selection, len(facts))
            if not chosen:
                taken.append(InferenceStep(selected=[], inferred=None))
                break
            (inference,) = yield [Call("infer", "infer", {**run.inputs, "facts": [facts[i - 1] for i in chosen]})]
            fact = answers.sentence(inference)
            taken.append(InferenceStep(selected=chosen, inferred=fact))
            if fact is None:
                break
            facts = [*facts, fact]
        (reply,) = yield [Call("answer", "answer", {**run.inputs, "facts": facts})]
        answer = answers.final_answer(reply) or answers.first_line(reply)
        return SelectionInferenceResult(answer=answer, ok=answer is not None, facts=facts, steps_taken=taken,
                                        **run.common())

    @staticmethod
    def _facts(run: Run) -> list[str]:
        given = run.inputs.get("facts", run.passages)
        if isinstance(given, str):
            given = [line.strip() for line in given.splitlines() if line.strip()]
        if not given:
            raise InvalidInputError("SelectionInference needs `facts` (or a retriever that finds some)")
        return [str(fact) for fact in given]
