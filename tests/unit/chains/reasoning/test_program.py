"""Program-aided reasoning on the scripted model: the program is extracted and run, refusals are scored failures,
votes count equal results as one, budgets and provenance hold."""

import pytest

from ragkit.chains.reasoning import ProgramAided
from ragkit.chains.reasoning.program import answer_text, extract_program
from ragkit.prompts import load
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit

PROGRAMS = {0: "```python\ndef solution():\n    return 4 * 2.0\n```", 1: "```python\nimport os\ndef solution():\n"
            "    return 1\n```", 2: "def solution():\n    return 8", 3: "I cannot write code."}


def test_program_is_run_and_its_value_is_the_answer():
    llm = ScriptedChatModel(reply=lambda t, p: PROGRAMS[0])
    result = ProgramAided(llm=llm).invoke("4 pens at $2?")
    assert (result.answer, result.ok, result.calls) == ("8", True, 1)
    meta = load("pal-program").metadata
    assert [(p.id, p.sha256) for p in result.prompts] == [("pal-program", meta["prompt_sha256"])]
    assert "4 pens at $2?" in llm.calls[0][0] and "def solution():" in llm.calls[0][0]


def test_votes_over_programs_with_refusals_scored_not_raised():
    llm = ScriptedChatModel(reply=lambda t, p: PROGRAMS[p.get("seed", 0)])
    result = ProgramAided(llm=llm, samples=4).invoke("q")
    assert result.votes == {"8": 2} and result.answer == "8" and result.calls == 4
    assert [r.refused for r in result.runs][1:4:2] == ["import os is not allowed: only math", "no program in the reply"]


def test_budget_holds_and_a_refused_program_is_a_failure():
    llm = ScriptedChatModel(reply=lambda t, p: PROGRAMS[1])
    result = ProgramAided(llm=llm, samples=3, max_calls=2).invoke("q")
    assert (result.answer, result.ok, result.calls, result.budget_exhausted) == (None, False, 2, True)
    assert len(llm.calls) == 2


def test_extraction_and_answer_text():
    assert extract_program("text\n```py\ndef solution():\n    return 1\n```\nmore") == "def solution():\n    return 1"
    assert extract_program("no code") is None
    assert [answer_text(v) for v in (12, 12.0, 0.1 + 0.2, True, None, [1], " x ")] == ["12", "12", "0.3", None, None,
                                                                                      None, "x"]
