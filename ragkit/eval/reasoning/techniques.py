"""The reasoning techniques `ragkit eval reasoning` compares, by name: each builds, once per run, the chain that
answers one problem. Other techniques join with `register(Technique(...))`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseLanguageModel
from langchain_core.prompts import BasePromptTemplate
from langchain_core.runnables import Runnable

from ragkit.chains.reasoning import (
    Direct,
    FewShotCoT,
    LeastToMost,
    ProgramAided,
    ReasoningResult,
    SelectionInference,
    SelfConsistency,
    ZeroShotCoT,
)
from ragkit.errors import InvalidInputError


@dataclass
class Setup:
    """What every technique of one run shares: the sampling seed, the few-shot pool and the prompts built on it."""

    seed: int = 0
    pool: list[dict[str, Any]] | None = None
    """Few-shot examples {question, reasoning, answer, program} for the selectors of the CoT prompt and (those
    with a program) of the program prompt; None keeps the files' own."""
    embeddings: Embeddings | None = None
    """Embedder of the semantic example selector; None means the packaged sentence-transformer."""
    samples: int | None = None
    """Samples of the voting techniques; None means each technique's measured default."""
    temperature: float | None = None
    """Sampling temperature of the voting techniques (their samples after the greedy first); None: the default."""
    prompt_ids: dict[str, str] = field(default_factory=dict)
    """The task's prompts by role (e.g. Game of 24's direct and CoT prompts), given to every chain."""
    _prompts: dict[str, BasePromptTemplate] = field(default_factory=dict, init=False, repr=False)

    def few_shot(self) -> dict[str, BasePromptTemplate]:
        """The CoT prompt over the pool, built once (its selector embeds the pool) and shared: `templates=` value."""
        return self._over_pool("reason", "cot-few-shot", self.pool)

    def programs(self) -> dict[str, BasePromptTemplate]:
        """The similar-programs prompt over the pool's examples that have a program, built once: `templates=` value."""
        return self._over_pool("program", "pal-program-similar",
                               [e for e in self.pool or [] if e.get("program")] or None)

    def _over_pool(self, role: str, prompt_id: str, examples: list[dict[str, Any]] | None) -> dict[str, BasePromptTemplate]:
        if examples is None:
            return {}
        if role not in self._prompts:
            from ragkit.prompts import load

            self._prompts[role] = load(prompt_id, examples=examples, embeddings=self.embeddings)
        return {role: self._prompts[role]}


Build = Callable[[BaseLanguageModel, Setup], Runnable[Any, ReasoningResult]]


@dataclass(frozen=True)
class Technique:
    """A named way to answer a problem: `build(llm, setup)` returns the chain, invoked with the task's inputs."""

    name: str
    build: Build
    description: str


TECHNIQUES: dict[str, Technique] = {}


def register(technique: Technique) -> Technique:
    """Add a technique under its name (a second one with the same name is an error, not a silent swap)."""
    if technique.name in TECHNIQUES:
        raise ValueError(f"technique {technique.name!r} is already registered")
    TECHNIQUES[technique.name] = technique
    return technique


def technique(name: str) -> Technique:
    """The registered technique of that name; InvalidInputError listing the known ones otherwise."""
    if name not in TECHNIQUES:
        raise InvalidInputError(f"unknown technique {name!r}: choose from {', '.join(TECHNIQUES)}")
    return TECHNIQUES[name]


SELF_CONSISTENCY_SAMPLES = 8
SELF_CONSISTENCY_TEMPERATURE = 0.7
PROGRAM_VOTE_SAMPLES = 5


def _temperature(setup: Setup) -> float:
    """The run's sampling temperature, else the measured default."""
    return SELF_CONSISTENCY_TEMPERATURE if setup.temperature is None else setup.temperature


register(Technique("direct", lambda llm, s: Direct(llm=llm, prompt_ids=s.prompt_ids), "the answer alone, one call"))
register(Technique("zero-shot-cot", lambda llm, s: ZeroShotCoT(llm=llm),
                   "'Let's think step by step', then an extraction call"))
register(Technique("few-shot-cot", lambda llm, s: FewShotCoT(llm=llm, templates=s.few_shot(), prompt_ids=s.prompt_ids),
                   "worked examples chosen by similarity, one greedy call"))
register(Technique("self-consistency", lambda llm, s: SelfConsistency(
    llm=llm, templates=s.few_shot(), prompt_ids=s.prompt_ids, samples=s.samples or SELF_CONSISTENCY_SAMPLES,
    temperature=_temperature(s), seed=s.seed), "few-shot CoT samples, majority vote"))
register(Technique("least-to-most", lambda llm, s: LeastToMost(llm=llm), "decompose, then solve subquestions"))
register(Technique("program", lambda llm, s: ProgramAided(llm=llm),
                   "the model writes solution(), ragkit runs it in its safe evaluator"))
register(Technique("program-vote", lambda llm, s: ProgramAided(
    llm=llm, samples=s.samples or PROGRAM_VOTE_SAMPLES, temperature=_temperature(s), seed=s.seed),
    "program samples, majority vote over their results"))
register(Technique("program-similar", lambda llm, s: ProgramAided(
    llm=llm, prompt_ids={"program": "pal-program-similar"}, templates=s.programs()),
    "program with the worked programs of the most similar pool problems (slower; see docs/reasoning.md)"))
register(Technique("selection-inference", lambda llm, s: SelectionInference(llm=llm),
                   "select facts, infer a new one, repeat, answer (needs facts)"))
