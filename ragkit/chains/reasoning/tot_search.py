"""Tree-of-Thoughts as a search (Yao et al. 2023, breadth-first with a beam): from each state propose k next
thoughts, score the new states with value or vote prompts, keep the best b, repeat to depth d."""

from __future__ import annotations

from collections.abc import Generator
from typing import ClassVar, Literal

from pydantic import BaseModel, Field

from ragkit.chains.reasoning import answers
from ragkit.chains.reasoning.engine import Call, ReasoningChain, ReasoningResult, Run, Steps


class ThoughtNode(BaseModel):
    """A state of the search: its last thought, where it hangs in the tree and how it scored."""

    id: int
    parent: int | None
    """Id of the state it extends; None at depth 1 (children of the problem itself)."""
    depth: int
    thought: str
    score: float | None = None
    """Sum of value judgements or count of votes; None when the budget left it unevaluated (never kept)."""
    kept: bool = False
    """Whether it survived pruning into the beam at its depth."""


class TreeSearchResult(ReasoningResult):
    """The best final state's last thought (the answer), its path, and the whole search tree."""

    tree: list[ThoughtNode]
    best_path: list[str]


class TreeOfThoughtSearch(ReasoningChain[TreeSearchResult]):
    """Calls per level: generate (1 per state when proposing, k when sampling) and evaluate (`evaluations` per new
    state for value, `evaluations` per level for vote)."""

    DEFAULT_PROMPTS: ClassVar[dict[str, str]] = {"propose": "tot-propose", "sample": "tot-sample",
                                                 "value": "tot-value", "vote": "tot-vote"}
    k: int = Field(default=3, ge=1)
    """Thoughts generated per state."""
    breadth: int = Field(default=2, ge=1)
    """States kept per level (the beam b)."""
    depth: int = Field(default=2, ge=1)
    generate: Literal["propose", "sample"] = "propose"
    evaluate: Literal["value", "vote"] = "value"
    evaluations: int = Field(default=1, ge=1)
    """Value calls per state, or vote calls per level."""
    temperature: float = Field(default=0.7, ge=0.0)
    """Sampling temperature for 'sample' generation (propose, value and vote use their prompts' settings)."""

    def steps(self, run: Run) -> Steps[TreeSearchResult]:
        tree: list[ThoughtNode] = []
        frontier: list[ThoughtNode | None] = [None]
        for level in range(1, self.depth + 1):
            fresh = yield from self._expand(run, tree, frontier, level)
            if not fresh:
                break
            yield from self._score(run, tree, fresh)
            ranked = sorted((n for n in fresh if n.score is not None), key=lambda n: (-(n.score or 0.0), n.id))
            for node in ranked[: self.breadth]:
                node.kept = True
            frontier = list(ranked[: self.breadth])
            if not frontier:
                break
        kept = [n for n in tree if n.kept]
        best = max(kept, key=lambda n: (n.depth, n.score or 0.0, -n.id)) if kept else None
        path = _path(tree, best)
        answer = (answers.final_answer(path[-1]) or answers.clean(path[-1])) if path else None
        return TreeSearchResult(answer=answer, ok=answer is not None, tree=tree, best_path=path, **run.common())

    def _expand(self, run: Run, tree: list[ThoughtNode], frontier: list[ThoughtNode | None],
                level: int) -> Generator[list[Call], list[str | None], list[ThoughtNode]]:
        """Generate up to k distinct thoughts per frontier state; add them to the tree."""
        if self.generate == "propose":
            replies = yield [Call("propose", "propose", self._state(run, tree, s, k=self.k)) for s in frontier]
            per_state = [answers.items(r, None) for r in replies]
        else:
            calls = [Call("sample", "sample", self._state(run, tree, s),
                          {"temperature": self.temperature, "seed": (level * len(frontier) + i) * self.k + j})
                     for i, s in enumerate(frontier) for j in range(self.k)]
            replies = yield calls
            per_state = [[t for t in map(answers.first_line, replies[i * self.k:(i + 1) * self.k]) if t]
                         for i in range(len(frontier))]
        fresh: list[ThoughtNode] = []
        for state, thoughts in zip(frontier, per_state):
            for thought in answers.distinct(thoughts, self.k):
                node = ThoughtNode(id=len(tree), parent=state.id if state else None, depth=level, thought=thought)
                tree.append(node)
                fresh.append(node)
        return fresh

    def _score(self, run: Run, tree: list[ThoughtNode],
               fresh: list[ThoughtNode]) -> Generator[list[Call], list[str | None], None]:
        """Value: sum of `evaluations` judgements per state. Vote: votes over all new states, `evaluations` times.
        A reply that does not parse scores 0; a state whose calls were all skipped stays unscored."""
        if self.evaluate == "value":
            calls = [Call("value", "value", self._state(run, tree, node)) for node in fresh
                     for _ in range(self.evaluations)]
            replies = yield calls
            for index, node in enumerate(fresh):
                mine = replies[index * self.evaluations:(index + 1) * self.evaluations]
                if any(r is not None for r in mine):
                    node.score = sum(answers.value_word(r) or 0.0 for r in mine if r is not None)
            return
        choices = ["\n".join(_path(tree, node)) for node in fresh]
        replies = yield [Call("vote", "vote", {**run.inputs, "choices": choices}) for _ in range(self.evaluations)]
        if all(r is None for r in replies):
            return
        picks = [answers.choice(r, len(fresh)) for r in replies]
        for number, node in enumerate(fresh, start=1):
            node.score = float(picks.count(number))

    @staticmethod
    def _state(run: Run, tree: list[ThoughtNode], node: ThoughtNode | None, **extra: object) -> dict[str, object]:
        return {**run.inputs, "steps": _path(tree, node), **extra}


def _path(tree: list[ThoughtNode], node: ThoughtNode | None) -> list[str]:
    """Thoughts from the first level down to `node`."""
    path: list[str] = []
    while node is not None:
        path.append(node.thought)
        node = tree[node.parent] if node.parent is not None else None
    return path[::-1]
