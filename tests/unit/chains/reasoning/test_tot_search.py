"""Tree-of-Thoughts search against a scripted deterministic model: it expands, scores and prunes exactly as
configured, keeps no state between calls, and respects its budget.

The script: a state's proposals append 1..k to its last thought ("" -> 1, 2, 3; "2" -> 21, 22, 23); the value of
a state is sure / likely / impossible (20 / 1 / 0.001) when its last thought ends in 1 / 2 / anything else.
"""

import re

import pytest

from ragkit.chains.reasoning import TreeOfThoughtSearch
from tests.scripted_model import ScriptedChatModel, after

pytestmark = pytest.mark.unit

VALUE = {"1": "sure", "2": "likely"}


def steps_of(text: str, marker: str) -> list[str]:
    block = after(text, "Steps so far:\n").split(marker)[0]
    return [line for line in block.splitlines() if line and line != "(none)"]


def script(text: str, params: dict) -> str:
    if re.search(r"Propose \d+ next steps:$", text):
        k = int(re.findall(r"Propose (\d+) next steps:$", text)[0])
        last = (steps_of(text, "Propose") or [""])[-1]
        return "\n".join(f"{last}{i}" for i in range(1, k + 1))
    if text.endswith("Judgement:"):
        last = steps_of(text, "Judgement:")[-1]
        return " unsure" if last.endswith("4") else f" {VALUE.get(last[-1], 'impossible')}"
    if text.endswith("Analysis:"):
        choices = re.findall(r"Choice (\d+):\n((?:.+\n)+?)(?=Choice|Analysis)", after(text, "Problem:"))
        best = next((n for n, body in choices if body.strip().endswith("1")), "1")
        return f"Choice {best} looks right. The best choice is {best}."
    if text.endswith("Next step:"):
        last = (steps_of(text, "Next step:") or [""])[-1]
        return f"{last}{params['seed'] % 3 + 1}"
    raise AssertionError(f"unexpected prompt: {text[-80:]!r}")


def search(**config) -> tuple[TreeOfThoughtSearch, ScriptedChatModel]:
    llm = ScriptedChatModel(reply=script)
    return TreeOfThoughtSearch(llm=llm, **config), llm


def shape(result) -> list[tuple]:
    return [(n.id, n.parent, n.depth, n.thought, n.score, n.kept) for n in result.tree]


def test_value_search_expands_k_scores_each_and_keeps_the_best_b_per_level():
    chain, llm = search(k=3, breadth=2, depth=2, evaluate="value")
    result = chain.invoke("Reach the goal.")
    assert shape(result) == [
        (0, None, 1, "1", 20.0, True), (1, None, 1, "2", 1.0, True), (2, None, 1, "3", 0.001, False),
        (3, 0, 2, "11", 20.0, True), (4, 0, 2, "12", 1.0, False), (5, 0, 2, "13", 0.001, False),
        (6, 1, 2, "21", 20.0, True), (7, 1, 2, "22", 1.0, False), (8, 1, 2, "23", 0.001, False),
    ]
    assert result.best_path == ["1", "11"] and result.answer == "11"
    # level 1: 1 propose + 3 values; level 2: 2 proposes + 6 values
    assert result.calls == 12 == len(llm.calls)
    assert [r.stage for r in result.trace] == ["propose"] + ["value"] * 3 + ["propose"] * 2 + ["value"] * 6


def test_unparsed_value_is_scored_zero_not_raised():
    chain, _ = search(k=4, breadth=1, depth=1)
    result = chain.invoke("q")
    assert [n.score for n in result.tree] == [20.0, 1.0, 0.001, 0.0]
    assert [n.kept for n in result.tree] == [True, False, False, False]


def test_several_evaluations_per_state_are_summed():
    chain, llm = search(k=2, breadth=1, depth=1, evaluations=3)
    result = chain.invoke("q")
    assert [n.score for n in result.tree] == [60.0, 3.0]
    assert result.calls == 1 + 2 * 3


def test_vote_search_counts_votes_over_all_new_states():
    chain, _ = search(k=2, breadth=1, depth=2, evaluate="vote", evaluations=3)
    result = chain.invoke("q")
    assert shape(result) == [(0, None, 1, "1", 3.0, True), (1, None, 1, "2", 0.0, False),
                             (2, 0, 2, "11", 3.0, True), (3, 0, 2, "12", 0.0, False)]
    assert result.calls == (1 + 3) + (1 + 3)


def test_sample_generation_drops_duplicate_thoughts():
    chain, llm = search(k=3, breadth=1, depth=1, generate="sample")
    result = chain.invoke("q")
    assert sorted(n.thought for n in result.tree) == ["1", "2", "3"]
    assert {c[1]["temperature"] for c in llm.calls if c[0].endswith("Next step:")} == {0.7}


def test_budget_caps_calls_and_leaves_unscored_states_out_of_the_beam():
    chain, llm = search(k=3, breadth=2, depth=2, max_calls=3)
    result = chain.invoke("q")
    assert result.calls == 3 == len(llm.calls) and result.budget_exhausted
    assert [(n.score, n.kept) for n in result.tree] == [(20.0, True), (1.0, True), (None, False)]
    assert result.best_path == ["1"]


def test_no_state_leaks_between_calls_or_instances():
    chain, _ = search(k=2, breadth=1, depth=2)
    first, second = chain.invoke("q"), chain.invoke("q")
    assert shape(first) == shape(second) and first.calls == second.calls
    other, _ = search(k=2, breadth=1, depth=2)
    assert shape(other.invoke("q")) == shape(first)


async def test_async_search_builds_the_same_tree():
    chain, _ = search(k=3, breadth=2, depth=2)
    assert shape(await chain.ainvoke("q")) == shape(chain.invoke("q"))
