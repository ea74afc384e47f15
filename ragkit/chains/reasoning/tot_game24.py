"""Tree-of-Thoughts on Game of 24 as Yao et al. 2023 ran it: the model proposes next steps for the numbers left
and values each new state (sure / likely / impossible) after trying some arithmetic on it; ragkit checks every step's
arithmetic exactly, tracks the numbers left, prunes wrong steps and repeats without a call, takes a tried line that
makes 24 from the numbers left as the rest of the solution, and assembles and checks the final expression."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from ragkit.chains.reasoning import game24
from ragkit.chains.reasoning.engine import Run
from ragkit.chains.reasoning.tot_search import ThoughtRefused, TreeOfThoughtSearch


class Game24Search(TreeOfThoughtSearch):
    """Breadth-first search over the numbers left: depth 3 (four numbers to one), the beam `breadth` wide.

    Input: the puzzle, "4 5 6 10" (or {"question": "4 5 6 10"}). The answer is an expression over the puzzle's
    numbers that `game24.check` accepts, or None when the search found none within its budget.
    """

    DEFAULT_PROMPTS: ClassVar[dict[str, str]] = {"propose": "game24-propose", "value": "game24-value",
                                                 "sample": "tot-sample", "vote": "tot-vote"}
    k: int = Field(default=8, ge=1)
    """Valid, new steps kept per state (the model lists what it finds; refused steps do not count)."""
    breadth: int = Field(default=3, ge=1)
    depth: int = Field(default=3, ge=1, le=3)
    """Three steps take four numbers to one."""

    def _begin(self, run: Run) -> game24.Numbers:
        return game24.Numbers.start(game24.parse_puzzle(str(run.inputs["question"])))

    def _advance(self, state: Any, thought: str) -> tuple[game24.Numbers, str]:
        try:
            after, step = state.apply(thought)
        except game24.StepError as exc:
            raise ThoughtRefused(str(exc)) from exc
        if len(after.values) == 1 and not after.solved():
            raise ThoughtRefused(f"ends at {after.left()}, not 24")
        return after, step

    def _key(self, state: Any) -> tuple[Any, ...]:
        return state.key()

    def _inputs(self, state: Any) -> dict[str, Any]:
        return {"numbers": state.left()}

    def _goal(self, state: Any) -> bool:
        return bool(state.solved())

    def _reached(self, state: Any, judgement: str) -> tuple[game24.Numbers, str] | None:
        """The first line of a value reply that makes 24 from exactly the numbers left, checked exactly."""
        for line in judgement.splitlines():
            try:
                return state.finish(line)  # type: ignore[no-any-return]
            except (game24.StepError, RecursionError):
                continue
        return None

    def _answer(self, state: Any, path: list[str]) -> str | None:
        """The expression the steps built, only when the checker accepts it."""
        solution = state.solution()
        return solution if solution and game24.check(state.puzzle, solution).ok else None
