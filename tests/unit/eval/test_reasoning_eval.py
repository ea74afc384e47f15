"""`ragkit eval reasoning` underneath: word problems load (GSM8K `#### N` understood), every registered technique
runs on the scripted model, rows carry calls, tokens and seconds, a log resumes, the JSON has the agreed shape."""

import json
import re

import pytest
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult

from ragkit.errors import InvalidInputError
from ragkit.eval.reasoning import TECHNIQUES, Setup, WordProblems, evaluate, register, summarize, technique, write_json
from ragkit.eval.reasoning.gsm8k import dev_indices, pool
from ragkit.eval.reasoning.report import plot, table
from ragkit.eval.reasoning.runner import choose
from ragkit.eval.reasoning.techniques import Technique
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit


class CountingModel(ScriptedChatModel):
    """Scripted replies with usage metadata, as llama.cpp reports it."""

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        text = self._respond(messages, stop, kwargs)
        message = AIMessage(text, usage_metadata={"input_tokens": 10, "output_tokens": len(text.split()),
                                                  "total_tokens": 10 + len(text.split())})
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, *args, **kwargs):
        raise NotImplementedError  # forces _generate, whose message carries the usage


def reply(text, params):
    """A model that answers 8 whatever is asked, in each technique's expected form."""
    if "def solution" in text and "Write a Python function" in text:
        return "```python\ndef solution():\n    return 4 * 2\n```"
    if "Subquestions:" in text.rsplit("Q:", 1)[-1]:
        return "1. How much do 4 pens cost?"
    return "4 pens at $2 is 4 * 2 = 8 dollars. The answer is 8."


@pytest.fixture()
def problems(tmp_path):
    path = tmp_path / "p.jsonl"
    rows = [{"question": "4 pens cost $2 each. Total?", "answer": "So 4 * 2 = <<4*2=8>>8.\n#### 8"},
            {"question": "一支笔 2 元，4 支笔多少元？", "answer": "8", "id": "zh-1"},
            {"question": "Is it 9?", "answer": "9"}]
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return WordProblems().load(path)


def test_word_problems_load_gsm8k_answers_and_ids(problems):
    assert [(p.id, p.answer) for p in problems] == [("1", "8"), ("zh-1", "8"), ("3", "9")]


@pytest.mark.parametrize("bad", ['{"question": "q"}', "not json", '["a"]', ""])
def test_malformed_problem_files_are_one_line_errors(tmp_path, bad):
    path = tmp_path / "bad.jsonl"
    path.write_text(bad + "\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="bad.jsonl"):
        WordProblems().load(path)


def test_every_word_problem_technique_scores_calls_and_tokens(problems, hashing, tmp_path):
    names = ["direct", "zero-shot-cot", "few-shot-cot", "self-consistency", "least-to-most", "program",
             "program-vote", "program-similar"]
    llm = CountingModel(reply=reply)
    setup = Setup(samples=3, embeddings=hashing,
                  pool=[{"question": f"q{i}", "reasoning": "r", "answer": str(i),
                         "program": f"def solution():\n    return {i}" if i % 2 else None} for i in range(12)])
    rows = evaluate(WordProblems(), problems, [technique(n) for n in names], llm, setup)
    results = summarize(rows)
    assert list(results) == names
    for name in names:
        assert (results[name].right, results[name].n) == (2, 3), name  # 8 is right twice, not for "Is it 9?"
        assert results[name].prompt_tokens == 10 * results[name].calls and results[name].completion_tokens > 0
    assert results["self-consistency"].calls == 3 == results["program-vote"].calls
    assert results["zero-shot-cot"].calls == 2 and results["program"].calls == 1 == results["program-similar"].calls
    for row in rows:
        assert len(row.call_tokens) == row.calls == len(row.replies) and sum(row.call_tokens) == row.completion_tokens
        voting = row.technique in ("self-consistency", "program-vote")
        assert (row.samples == ["8"] * 3) if voting and row.gold == "8" else (voting or row.samples is None)
    cot_prompts = [text for text, _ in llm.calls if "Solve the problem step by step" in text]
    assert cot_prompts and all("bakery" not in t and t.count("\nThe answer is ") == 4 for t in cot_prompts)
    program_prompts = [text for text, _ in llm.calls if "Write a Python function" in text and "bakery" not in text]
    assert len(program_prompts) == 3 and all(t.count("def solution") == 6 for t in program_prompts)
    assert all(int(n) % 2 for t in program_prompts for n in re.findall(r"return (\d+)", t))  # with a program


def test_log_resumes_and_json_has_the_agreed_shape(problems, tmp_path):
    log, out = tmp_path / "log.jsonl", tmp_path / "out.json"
    llm = CountingModel(reply=reply)
    first = evaluate(WordProblems(), problems[:2], [technique("program")], llm, Setup(), log)
    calls = len(llm.calls)
    again = evaluate(WordProblems(), problems, [technique("program")], llm, Setup(), log)
    assert len(llm.calls) == calls + 1 and again[:2] == first
    write_json(again, out)
    report = json.loads(out.read_text())
    assert set(report) == {"results", "problems"}
    assert set(report["results"]["program"]) == {"right", "n", "accuracy", "calls", "seconds", "prompt_tokens",
                                                 "completion_tokens"}
    assert report["results"]["program"]["n"] == 3 and len(report["problems"]) == 3
    assert plot(summarize(again), tmp_path / "out.png", "t").stat().st_size > 1000
    assert table(summarize(again), "t").row_count == 1


def test_registry_refuses_unknown_and_duplicate_names():
    with pytest.raises(InvalidInputError, match="unknown technique 'nope'"):
        technique("nope")
    with pytest.raises(ValueError, match="already registered"):
        register(Technique("direct", TECHNIQUES["direct"].build, "again"))


def test_sample_and_split_are_seeded(problems, tmp_path):
    assert choose(problems, 2, 0) == choose(problems, 2, 0)
    assert choose(problems, None, 0) == problems
    assert dev_indices(1000) == dev_indices(1000) and len(dev_indices(1000)) == 200
    train = tmp_path / "train.jsonl"
    train.write_text("\n".join(json.dumps({"question": f"q{i}", "answer": f"<<1+{i}={i + 1}>>{i + 1}\n#### {i + 1}"})
                               for i in range(300)) + "\n")
    examples = pool(train, exclude={"q0"})
    held = {f"q{i}" for i in dev_indices(300)}
    assert {e["question"] for e in examples} == {f"q{i}" for i in range(300)} - held - {"q0"}
    assert examples[0]["reasoning"] == examples[0]["answer"] and "<<" not in examples[0]["reasoning"]
    assert examples[0]["program"] == f"def solution():\n    # {examples[0]['answer']}\n" \
        f"    step_1 = 1+{int(examples[0]['answer']) - 1}\n    return step_1"
