"""Self-consistency (Wang et al. 2022): sample several chains of thought and take the majority answer."""

from __future__ import annotations

from collections import Counter
from typing import ClassVar

from pydantic import Field

from ragkit.chains.reasoning import answers
from ragkit.chains.reasoning.engine import Call, ReasoningChain, ReasoningResult, Run, Steps


class SelfConsistencyResult(ReasoningResult):
    """The majority answer, the vote behind it and each sample's parsed answer."""

    votes: dict[str, int]
    """Normalized answer -> number of samples that reached it, most votes first."""
    samples: list[str | None]
    """Each sample's parsed answer; None for a reply that did not parse or a call the budget skipped."""
    failures: int
    """Samples without a parsed answer (they cast no vote)."""


class SelfConsistency(ReasoningChain[SelfConsistencyResult]):
    """n samples of the few-shot CoT prompt at a sampling temperature, then a majority vote over their answers."""

    DEFAULT_PROMPTS: ClassVar[dict[str, str]] = {"reason": "cot-few-shot"}
    samples: int = Field(default=5, ge=1)
    temperature: float = Field(default=0.7, ge=0.0)
    seed: int = 0
    """Sample i uses seed + i, so runs are reproducible and samples differ."""

    def steps(self, run: Run) -> Steps[SelfConsistencyResult]:
        calls = [Call("sample", "reason", run.inputs, {"temperature": self.temperature, "seed": self.seed + i})
                 for i in range(self.samples)]
        replies = yield calls
        parsed = [answers.final_answer(reply) for reply in replies]
        counts = Counter(answers.normalize(a) for a in parsed if a is not None)
        votes = dict(counts.most_common())
        # Counter.most_common keeps first-seen order among ties, so the earliest sample breaks a tie.
        winner = next(iter(votes), None)
        answer = next((a for a in parsed if a is not None and answers.normalize(a) == winner), None)
        return SelfConsistencyResult(answer=answer, ok=answer is not None, votes=votes, samples=parsed,
                                     failures=sum(a is None for a in parsed), **run.common())
