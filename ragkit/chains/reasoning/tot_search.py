"""Tree-of-Thoughts as a search (Yao et al. 2023, breadth-first with a beam): from each state propose k next
thoughts, score the new states with value or vote prompts, keep the best b, repeat to depth d."""

from __future__ import annotations

from collections.abc import Generator, Hashable
from typing import Any, ClassVar, Literal

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
    """Whether it survived pruning into the beam at its depth (or solved the problem)."""
    pruned: str | None = None
    """Why it was dropped without a model call: a thought the task refused (a wrong step) or a repeated state."""


class ThoughtRefused(ValueError):
    """Raised by a search's `_advance` for a thought that cannot be taken; the message is the reason."""


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
    """Sampling temperature for 'sample' generation and for repeated evaluations (`evaluations` > 1); a single
    propose, value or vote call uses its prompt's settings."""

    def steps(self, run: Run) -> Steps[TreeSearchResult]:
        tree: list[ThoughtNode] = []
        states: dict[int | None, Any] = {None: self._begin(run)}
        frontier: list[ThoughtNode | None] = [None]
        goal: ThoughtNode | None = None
        for level in range(1, self.depth + 1):
            fresh = yield from self._expand(run, tree, states, frontier, level)
            goal = next((n for n in fresh if self._goal(states[n.id])), None)
            if goal is not None:
                goal.kept = True
                break
            if not fresh:
                break
            goal = yield from self._score(run, tree, states, fresh)
            if goal is not None:
                break
            ranked = sorted((n for n in fresh if n.score is not None), key=lambda n: (-(n.score or 0.0), n.id))
            for node in ranked[: self.breadth]:
                node.kept = True
            frontier = list(ranked[: self.breadth])
            if not frontier:
                break
        kept = [n for n in tree if n.kept]
        best = goal or (max(kept, key=lambda n: (n.depth, n.score or 0.0, -n.id)) if kept else None)
        path = _path(tree, best)
        answer = self._answer(states[best.id], path) if best is not None else None
        return TreeSearchResult(answer=answer, ok=answer is not None, tree=tree, best_path=path, **run.common())

    # ----- what a task may change: how a thought moves the state (free text by default) -------------------

    def _begin(self, run: Run) -> Any:
        """The state before any thought; for free text, the path of thoughts taken (none yet)."""
        return ()

    def _advance(self, state: Any, thought: str) -> tuple[Any, str]:
        """The state a thought leads to and the thought as recorded; ThoughtRefused prunes it without a call."""
        return (*state, thought), thought

    def _key(self, state: Any) -> Hashable:
        """States with the same key at one level are one state: later ones are pruned as repeats."""
        return tuple(answers.normalize(t) for t in state)

    def _inputs(self, state: Any) -> dict[str, Any]:
        """Prompt inputs a state adds to the question and its steps."""
        return {}

    def _goal(self, state: Any) -> bool:
        """Whether a state solves the problem (the search stops there); free text has no checkable goal."""
        return False

    def _answer(self, state: Any, path: list[str]) -> str | None:
        """The answer the best state gives: the final answer stated in its last thought, else that thought."""
        return answers.final_answer(path[-1]) or answers.clean(path[-1]) if path else None

    def _reached(self, state: Any, judgement: str) -> tuple[Any, str] | None:
        """A goal state (and its thought) that an evaluation of `state` shows the way to, checked by the task (e.g.
        the arithmetic a value reply tries); None when it shows none, always for free text."""
        return None

    # ----- search steps -------------------------------------------------------------------------------------

    def _expand(self, run: Run, tree: list[ThoughtNode], states: dict[int | None, Any],
                frontier: list[ThoughtNode | None], level: int,
                ) -> Generator[list[Call], list[str | None], list[ThoughtNode]]:
        """Generate thoughts per frontier state; add them to the tree, those the task refuses or repeats as pruned
        (no call spent on them), at most k accepted per state."""
        if self.generate == "propose":
            replies = yield [Call("propose", "propose", self._state(run, tree, states, s, k=self.k))
                             for s in frontier]
            per_state = [answers.items(r, None) for r in replies]
        else:
            calls = [Call("sample", "sample", self._state(run, tree, states, s),
                          {"temperature": self.temperature, "seed": (level * len(frontier) + i) * self.k + j})
                     for i, s in enumerate(frontier) for j in range(self.k)]
            replies = yield calls
            per_state = [[t for t in map(answers.first_line, replies[i * self.k:(i + 1) * self.k]) if t]
                         for i in range(len(frontier))]
        fresh: list[ThoughtNode] = []
        seen: dict[Hashable, int] = {}
        for parent, thoughts in zip(frontier, per_state):
            accepted = 0
            for thought in thoughts:
                if accepted == self.k:
                    break
                node = ThoughtNode(id=len(tree), parent=parent.id if parent else None, depth=level, thought=thought)
                try:
                    state, node.thought = self._advance(states[node.parent], thought)
                except ThoughtRefused as refused:
                    node.pruned = str(refused)
                else:
                    key = self._key(state)
                    if key in seen:
                        node.pruned = f"same state as [{seen[key]}]"
                    else:
                        seen[key], states[node.id] = node.id, state
                        fresh.append(node)
                        accepted += 1
                tree.append(node)
        return fresh

    def _score(self, run: Run, tree: list[ThoughtNode], states: dict[int | None, Any],
               fresh: list[ThoughtNode]) -> Generator[list[Call], list[str | None], ThoughtNode | None]:
        """Value: sum of `evaluations` judgements per state, one state at a time, stopping at the first judgement
        that reaches the goal (`_reached`; that goal is returned, kept). Vote: votes over all new states,
        `evaluations` times. A reply that does not parse scores 0; a state whose calls were all skipped stays
        unscored."""
        if self.evaluate == "value":
            for node in fresh:
                mine = yield [Call("value", "value", self._state(run, tree, states, node), self._seed(i))
                              for i in range(self.evaluations)]
                if any(r is not None for r in mine):
                    node.score = sum(answers.value_word(r) or 0.0 for r in mine if r is not None)
                for reply in mine:
                    reached = self._reached(states[node.id], reply) if reply is not None else None
                    if reached is not None:
                        goal = ThoughtNode(id=len(tree), parent=node.id, depth=node.depth + 1, thought=reached[1],
                                           kept=True)
                        node.kept, states[goal.id] = True, reached[0]
                        tree.append(goal)
                        return goal
            return None
        choices = ["\n".join(_path(tree, node)) for node in fresh]
        replies = yield [Call("vote", "vote", {**run.inputs, "choices": choices}, self._seed(i))
                         for i in range(self.evaluations)]
        if all(r is None for r in replies):
            return None
        picks = [answers.choice(r, len(fresh)) for r in replies]
        for number, node in enumerate(fresh, start=1):
            node.score = float(picks.count(number))
        return None

    def _seed(self, sample: int) -> dict[str, Any]:
        """Repeated evaluations sample at `temperature` with different seeds; a single one keeps the prompt's."""
        return {"temperature": self.temperature, "seed": sample} if self.evaluations > 1 else {}

    def _state(self, run: Run, tree: list[ThoughtNode], states: dict[int | None, Any], node: ThoughtNode | None,
               **extra: object) -> dict[str, object]:
        key = node.id if node is not None else None
        return {**run.inputs, "steps": _path(tree, node), **self._inputs(states[key]), **extra}


def _path(tree: list[ThoughtNode], node: ThoughtNode | None) -> list[str]:
    """Thoughts from the first level down to `node`."""
    path: list[str] = []
    while node is not None:
        path.append(node.thought)
        node = tree[node.parent] if node.parent is not None else None
    return path[::-1]
