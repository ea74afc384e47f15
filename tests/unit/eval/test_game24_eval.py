"""`ragkit eval reasoning --game24`: puzzles load (bad lines named), attempts are scored by the exact checker, and
direct, few-shot-cot and tot run on the task's own prompts (scripted model)."""

import pytest

from ragkit.errors import InvalidInputError
from ragkit.eval.reasoning import TASKS, Setup, evaluate, summarize, technique
from tests.scripted_model import ScriptedChatModel, after

pytestmark = pytest.mark.unit


def puzzles(tmp_path, text: str):
    path = tmp_path / "24.txt"
    path.write_text(text, encoding="utf-8")
    return TASKS["game24"].load(path)


def test_puzzles_load_and_bad_lines_are_named(tmp_path):
    problems = puzzles(tmp_path, "# mine\n4 5 6 10\n\n1, 1, 4, 6\n")
    assert [(p.id, p.question) for p in problems] == [("2", "4 5 6 10"), ("4", "1 1 4 6")]
    with pytest.raises(InvalidInputError, match=r"24.txt:2: a Game-of-24 puzzle is four whole numbers"):
        puzzles(tmp_path, "4 5 6 10\n4 5 6\n")
    with pytest.raises(InvalidInputError, match="no puzzles"):
        puzzles(tmp_path, "# none\n")


def reply(text: str, params: dict) -> str:
    numbers = after(text, "Input: ").strip()
    if "List possible next steps" in text:
        return {"4 5 6 10": "10 - 4 = 6 (left: 5 6 6)\n5 + 6 = 11 (left: 4 10 11)", "5 6 6": "5 * 6 = 30",
                "6 30": "30 - 6 = 24", "1 1 4 6": "1 * 1 = 1\n4 * 6 = 24", "1 4 6": "1 * 4 = 4",
                "1 1 24": "1 * 1 = 1", "1 24": "24 * 1 = 24"}.get(numbers, "")
    if "Try several combinations" in text:
        return "sure"
    if "Write three steps" in text:  # few-shot CoT: right on 1 1 4 6 only
        return {"1 1 4 6": "4 * 6 = 24 (left: 1 1 24)\nAnswer: 4 * 6 * 1 * 1 = 24"}.get(numbers, "Answer: 4 * 6 = 24")
    if "Reply with one line" in text:  # direct: a 2 that is not in the puzzle
        return "Answer: 2 * 12 = 24"
    raise AssertionError(text[-200:])


def test_direct_cot_and_tot_on_the_game24_prompts(tmp_path):
    task = TASKS["game24"]
    problems = puzzles(tmp_path, "4 5 6 10\n1 1 4 6\n")
    names = ["direct", "few-shot-cot", "tot"]
    rows = evaluate(task, problems, [technique(n) for n in names], ScriptedChatModel(reply=reply),
                    Setup(prompt_ids=task.prompt_ids))
    assert [(r.technique, r.id, r.right) for r in rows] == [
        ("direct", "1", False), ("direct", "2", False), ("few-shot-cot", "1", False), ("few-shot-cot", "2", True),
        ("tot", "1", True), ("tot", "2", True)]
    assert rows[4].answer == "(5 * 6) - (10 - 4)"
    results = summarize(rows)
    assert (results["tot"].accuracy, results["few-shot-cot"].accuracy, results["direct"].accuracy) == (1.0, 0.5, 0.0)
    assert results["direct"].calls == 1 and results["tot"].calls > 1
