"""`ragkit eval reasoning --task facts`: rows need their facts, every technique is shown them (direct and
zero-shot CoT as numbered context, selection-inference as its fact list), yes/no answers compare by polarity in
English and Chinese (scripted model)."""

import json

import pytest

from ragkit.errors import InvalidInputError
from ragkit.eval.reasoning import TASKS, Setup, evaluate, summarize, technique
from ragkit.eval.reasoning.facts import polarity
from tests.scripted_model import ScriptedChatModel, after

pytestmark = pytest.mark.unit

ROWS = [{"id": "cup", "question": "Is the cup warmer than the room?", "answer": "yes",
         "facts": ["The tea is hot.", "The cup holds the tea.", "The room is cold."]},
        {"id": "杯", "question": "杯子比房间冷吗？", "answer": "否", "facts": ["茶是热的。", "杯子里有茶。", "房间很冷。"]}]


def load(tmp_path, rows=ROWS):
    path = tmp_path / "facts.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return TASKS["facts"].load(path)


@pytest.mark.parametrize(("text", "expected"), [
    ("yes", "yes"), ("No, because the room is cold.", "no"), ("The answer is YES.", "yes"), ("true", "yes"),
    ("是", "yes"), ("不是，房间更冷", "no"), ("否", "no"), ("the tea", None), (None, None)])
def test_polarity_reads_yes_and_no_in_english_and_chinese(text, expected):
    assert polarity(text) == expected


def test_rows_without_facts_are_refused(tmp_path):
    with pytest.raises(InvalidInputError, match=r"row 1 needs \"facts\", a list of sentences"):
        load(tmp_path, [{"question": "Is it?", "answer": "yes"}])


def reply(text: str, params: dict) -> str:
    hot = "The tea is hot." in text or "茶是热的" in text  # the facts reached the prompt
    if "Selected facts:" in text:
        return " 1, 2"
    if "New fact:" in text:
        return " The cup is hot." if hot else " Nothing follows."
    if "Let's think step by step." in after(text, "Q:") and "final answer is" not in text:
        return "The cup holds hot tea and the room is cold." if hot else "I do not know."
    if "final answer is" in text:
        return " yes" if "hot tea" in text else " unknown"
    if "Answer the question from the facts" in text:
        return "The answer is yes." if hot and "warmer" in text else "The answer is no."
    raise AssertionError(text[-300:])


def test_direct_zero_shot_cot_and_selection_inference_see_the_facts(tmp_path):
    task = TASKS["facts"]
    problems = load(tmp_path)
    assert task.inputs(problems[0])["context"] == "[1] The tea is hot.\n[2] The cup holds the tea.\n[3] The room is cold."
    names = ["direct", "zero-shot-cot", "selection-inference"]
    llm = ScriptedChatModel(reply=reply)
    rows = evaluate(task, problems, [technique(n) for n in names], llm, Setup(prompt_ids=task.prompt_ids))
    assert [(r.technique, r.id, r.answer, r.right) for r in rows] == [
        ("direct", "cup", "yes", True), ("direct", "杯", "no", True),
        ("zero-shot-cot", "cup", "yes", True), ("zero-shot-cot", "杯", "yes", False),
        ("selection-inference", "cup", "yes", True), ("selection-inference", "杯", "no", True)]
    assert summarize(rows)["selection-inference"].calls == 5  # 2 x (select, infer) + answer
    assert "Facts:\n[1] The tea is hot.\n[2] The cup holds the tea." in llm.calls[0][0]  # the direct prompt
