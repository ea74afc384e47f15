"""Tree-of-Thoughts on Game of 24 against a scripted model: the model's proposals are checked by ragkit, wrong
steps, dead ends and repeats are pruned without a call, the beam keeps the best valued states, the search stops at
the first state that makes 24, and the answer is the expression the steps built, checked exactly.

The script proposes, for the numbers in the prompt, the lines in PROPOSALS (some of them wrong) and values the
numbers as in VALUES (impossible otherwise).
"""

import pytest

from ragkit.chains.reasoning import game24
from ragkit.chains.reasoning.tot_game24 import Game24Search
from tests.scripted_model import ScriptedChatModel, after

pytestmark = pytest.mark.unit

PROPOSALS = {
    "4 5 6 10": ["10 - 4 = 6 (left: 5 6 6)", "2 * 12 = 24 (left: 24)", "4 + 6 = 11 (left: 5 10 11)",
                 "4 + 6 = 10 (left: 5 10 10)", "6 - 4 = 2 (left: 2 5 10)", "6 + 4 = 10 (left: 5 10 10)"],
    "5 6 6": ["5 * 6 = 30 (left: 6 30)", "6 - 5 = 1 (left: 1 6)"],
    "5 10 10": ["10 + 10 = 20 (left: 5 20)"],
    "6 30": ["30 + 6 = 36 (left: 36)", "30 - 6 = 24 (left: 24)"],
    "1 6": ["1 * 6 = 6 (left: 6)"],
    "5 20": ["5 + 20 = 25 (left: 25)"],
}
VALUES = {"6 30": "sure", "5 6 6": "5 + 6 + 6 = 24\nlikely", "5 10 10": "5 + 10 + 10 = 25\nlikely"}
"""No tried line makes 24 from its numbers (5 + 6 + 6 claims it wrongly), so the search goes on to propose."""


def script(text: str, params: dict, values: dict[str, str] = VALUES) -> str:
    if "List possible next steps" in text:
        return "\n".join(PROPOSALS.get(after(text, "Input: ").strip(), []))
    return values.get(after(text, "\n\n").strip(), "impossible")


def search(values: dict[str, str] = VALUES, **config) -> tuple[Game24Search, ScriptedChatModel]:
    llm = ScriptedChatModel(reply=lambda text, params: script(text, params, values))
    return Game24Search(llm=llm, **config), llm


def test_search_checks_proposals_prunes_without_calls_and_builds_the_answer():
    chain, llm = search(breadth=2)
    result = chain.invoke("4 5 6 10")
    assert [(n.id, n.parent, n.depth, n.thought, n.score, n.kept, n.pruned) for n in result.tree] == [
        (0, None, 1, "10 - 4 = 6 (left: 5 6 6)", 1.0, True, None),
        (1, None, 1, "2 * 12 = 24 (left: 24)", None, False, "2 is not among the numbers left (4 5 6 10)"),
        (2, None, 1, "4 + 6 = 11 (left: 5 10 11)", None, False, "4 + 6 is 10, not 11"),
        (3, None, 1, "4 + 6 = 10 (left: 5 10 10)", 1.0, True, None),
        (4, None, 1, "6 - 4 = 2 (left: 2 5 10)", 0.001, False, None),
        (5, None, 1, "6 + 4 = 10 (left: 5 10 10)", None, False, "same state as [3]"),
        (6, 0, 2, "5 * 6 = 30 (left: 6 30)", 20.0, True, None),
        (7, 0, 2, "6 - 5 = 1 (left: 1 6)", 0.001, True, None),
        (8, 3, 2, "10 + 10 = 20 (left: 5 20)", 0.001, False, None),
        (9, 6, 3, "30 + 6 = 36 (left: 36)", None, False, "ends at 36, not 24"),
        (10, 6, 3, "30 - 6 = 24 (left: 24)", None, True, None),
        (11, 7, 3, "1 * 6 = 6 (left: 6)", None, False, "ends at 6, not 24"),
    ]
    assert result.answer == "(5 * 6) - (10 - 4)" and result.ok
    assert game24.check((4, 5, 6, 10), result.answer).ok
    assert result.best_path == ["10 - 4 = 6 (left: 5 6 6)", "5 * 6 = 30 (left: 6 30)", "30 - 6 = 24 (left: 24)"]
    # values only for the 3 + 3 valid new states: no call for a refused step, a repeat or a last number
    assert [r.stage for r in result.trace] == (["propose"] + ["value"] * 3 + ["propose"] * 2 + ["value"] * 3
                                               + ["propose"] * 2)
    assert result.calls == 11 == len(llm.calls)
    valued = [after(text, "\n\n").strip() for text, _ in llm.calls if "List possible" not in text]
    assert valued == ["5 6 6", "5 10 10", "2 5 10", "6 30", "1 6", "5 20"]


def test_a_value_reply_whose_tried_line_makes_24_ends_the_search_there():
    values = {**VALUES, "2 5 10": "2 + 5 + 10 = 17\n(2 * 10) + 5 = 25\n(10 - 2) * 5 = 40\nlikely",
              "5 6 6": "5 + 6 + 6 = 17\n6 * 4 = 24\n6 * 5 - 6 = 30 - 6 = 24\nsure"}
    chain, llm = search(values, breadth=2)
    result = chain.invoke("4 5 6 10")
    # 5 6 6 is valued first; its third line uses exactly 5, 6, 6 and makes 24 (6 * 4 uses a 4 that is not left)
    assert [(n.id, n.parent, n.depth, n.thought, n.kept) for n in result.tree[-2:]] == [
        (5, None, 1, "6 + 4 = 10 (left: 5 10 10)", False), (6, 0, 2, "6 * 5 - 6 = 24 (left: 24)", True)]
    assert result.answer == "(6 * 5) - (10 - 4)" and game24.check((4, 5, 6, 10), result.answer).ok
    assert result.best_path == ["10 - 4 = 6 (left: 5 6 6)", "6 * 5 - 6 = 24 (left: 24)"]
    assert [r.stage for r in result.trace] == ["propose", "value"] and result.calls == 2 == len(llm.calls)


def test_provenance_names_the_game24_prompts():
    result = search()[0].invoke("4 5 6 10")
    assert [p.id for p in result.prompts] == ["game24-propose", "game24-value"]
    assert all(len(p.sha256) == 64 and p.version >= 1 for p in result.prompts)


def test_budget_caps_calls_and_an_unfinished_search_has_no_answer():
    chain, llm = search(breadth=2, max_calls=5)
    result = chain.invoke("4 5 6 10")
    assert result.calls == 5 == len(llm.calls) and result.budget_exhausted
    assert (result.answer, result.ok) == (None, False)
    assert [r.output is None for r in result.trace].count(True) == len(result.trace) - 5


def test_refused_steps_do_not_count_against_k():
    result = search(breadth=1, k=1)[0].invoke("4 5 6 10")
    # one valid step per state: 10 - 4, then 5 * 6, then 30 - 6 (30 + 6 was a dead end and did not count)
    assert result.answer == "(5 * 6) - (10 - 4)"
    assert [n.thought for n in result.tree if n.pruned is None] == [
        "10 - 4 = 6 (left: 5 6 6)", "5 * 6 = 30 (left: 6 30)", "30 - 6 = 24 (left: 24)"]
    assert result.calls == 1 + 1 + 1 + 1 + 1


def test_several_value_samples_are_drawn_at_the_sampling_temperature():
    chain, llm = search(breadth=2, evaluations=3, temperature=0.7)
    result = chain.invoke("4 5 6 10")
    assert result.tree[0].score == 3.0 and result.tree[6].score == 60.0
    values = [params for text, params in llm.calls if "List possible" not in text]
    assert {(p["temperature"], p["seed"]) for p in values} == {(0.7, 0), (0.7, 1), (0.7, 2)}


def test_bad_puzzle_is_refused():
    from ragkit.errors import InvalidInputError
    with pytest.raises(InvalidInputError, match="four whole numbers"):
        search()[0].invoke("4 5 six 10")


async def test_async_search_builds_the_same_tree():
    chain, _ = search(breadth=2)
    sync, concurrent = chain.invoke("4 5 6 10"), await chain.ainvoke("4 5 6 10")
    assert [n.model_dump() for n in concurrent.tree] == [n.model_dump() for n in sync.tree]
    assert concurrent.answer == sync.answer
