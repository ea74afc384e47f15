"""Direct answering (the baseline) and chain-of-thought: zero-shot ("Let's think step by step", then an answer-extraction call, after Kojima et al.
2022) and few-shot (worked examples from the prompt file, after Wei et al. 2022)."""

from __future__ import annotations

from typing import ClassVar

from ragkit.chains.reasoning import answers
from ragkit.chains.reasoning.engine import Call, ReasoningChain, ReasoningResult, Run, Steps


class CoTResult(ReasoningResult):
    """A chain-of-thought answer with the reasoning that led to it."""

    reasoning: str | None


class ZeroShotCoT(ReasoningChain[CoTResult]):
    """Two calls: reason step by step, then extract the final answer from that reasoning."""

    DEFAULT_PROMPTS: ClassVar[dict[str, str]] = {"reason": "cot-zero-shot", "extract": "cot-extract"}

    def steps(self, run: Run) -> Steps[CoTResult]:
        (reasoning,) = yield [Call("reason", "reason", run.inputs)]
        (extracted,) = yield [Call("extract", "extract", {**run.inputs, "reasoning": reasoning or ""})]
        # Without an extraction reply (budget), a final-answer statement inside the reasoning still counts.
        answer = answers.first_line(extracted) if extracted is not None else answers.final_answer(reasoning)
        return CoTResult(answer=answer, ok=answer is not None, reasoning=reasoning, **run.common())


class FewShotCoT(ReasoningChain[CoTResult]):
    """One call on a prompt of worked examples (the default picks the four most like the question); the answer
    follows 'The answer is', else it is the reply's last number."""

    DEFAULT_PROMPTS: ClassVar[dict[str, str]] = {"reason": "cot-few-shot"}

    def steps(self, run: Run) -> Steps[CoTResult]:
        (reasoning,) = yield [Call("reason", "reason", run.inputs)]
        answer = answers.stated_or_last_number(reasoning)
        return CoTResult(answer=answer, ok=answer is not None, reasoning=reasoning, **run.common())


class Direct(ReasoningChain[CoTResult]):
    """One call asking for the answer alone: the baseline every reasoning technique should beat."""

    DEFAULT_PROMPTS: ClassVar[dict[str, str]] = {"answer": "direct-answer"}

    def steps(self, run: Run) -> Steps[CoTResult]:
        (reply,) = yield [Call("answer", "answer", run.inputs)]
        answer = answers.final_answer(reply) or answers.first_line(reply)
        return CoTResult(answer=answer, ok=answer is not None, reasoning=None, **run.common())
