"""Self-consistency (Wang et al. 2022): sample several chains of thought and take the majority answer."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from ragkit.chains.reasoning import answers
from ragkit.chains.reasoning.engine import Call, ReasoningChain, ReasoningResult, ResultT, Run, Steps


class SelfConsistencyResult(ReasoningResult):
    """The majority answer, the vote behind it and each sample's parsed answer."""

    votes: dict[str, int]
    """Voted answer (a canonical number, else normalized text) -> samples that reached it, most votes first."""
    samples: list[str | None]
    """Each sample's parsed answer; None for a reply that did not parse or a call the budget skipped."""
    failures: int
    """Samples without a parsed answer (they cast no vote)."""


class SampledChain(ReasoningChain[ResultT]):
    """A chain that draws several samples of one prompt and votes over them."""

    samples: int = Field(default=5, ge=1)
    temperature: float = Field(default=0.7, ge=0.0)
    greedy_first: bool = True
    """Sample 0 is the prompt's own greedy reply, so a vote without a majority falls back to what one greedy
    call answers; the other samples are drawn at `temperature`."""
    seed: int = 0
    """Sample i uses seed + i, so runs are reproducible and samples differ."""

    def sample_calls(self, stage: str, role: str, inputs: dict[str, Any]) -> list[Call]:
        """One call per sample, with its sampling parameters."""
        return [Call(stage, role, inputs, {} if self.greedy_first and i == 0 else
                     {"temperature": self.temperature, "seed": self.seed + i}) for i in range(self.samples)]


class SelfConsistency(SampledChain[SelfConsistencyResult]):
    """n samples of the few-shot CoT prompt, then a majority vote over their answers (numbers compared as numbers;
    a reply that states no answer votes for its last number)."""

    DEFAULT_PROMPTS: ClassVar[dict[str, str]] = {"reason": "cot-few-shot"}

    def steps(self, run: Run) -> Steps[SelfConsistencyResult]:
        replies = yield self.sample_calls("sample", "reason", run.inputs)
        parsed = [answers.stated_or_last_number(reply) for reply in replies]
        answer, votes = answers.majority(parsed)
        return SelfConsistencyResult(answer=answer, ok=answer is not None, votes=votes, samples=parsed,
                                     failures=sum(a is None for a in parsed), **run.common())
