"""`ragkit chat` driven through its input: streamed answers with sources, a follow-up rewritten from the
conversation, /sources, /clear, unknown commands and /quit (a scripted model answers)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragkit.cli import app
from tests.helpers import EXAMPLES_KB, EXAMPLES_KB_ZH
from tests.scripted_model import ScriptedChatModel, after

pytestmark = pytest.mark.unit
runner = CliRunner()
FOLLOW_UP = "Follow-up question: "
ANSWERS = {
    "password": "Passwords must be at least 14 characters long [1].",
    "incident": "Report a suspected security incident to security@northwind.example within one hour of noticing "
                "it [1].",
}
REWRITES = {"And incidents?": "How soon must a security incident be reported?", "那多久换一次？": "密码多久更换一次？"}


def reply(prompt: str, params: dict) -> str:
    if FOLLOW_UP in prompt:
        return REWRITES[after(prompt, FOLLOW_UP).strip().splitlines()[0].strip()]
    question = after(prompt, "Question:").lower()
    return next(text for word, text in ANSWERS.items() if word in question)


@pytest.fixture()
def model(monkeypatch: pytest.MonkeyPatch) -> ScriptedChatModel:
    scripted = ScriptedChatModel(reply=reply)
    monkeypatch.setattr("ragkit.models.chat_model", lambda backend, model, **options: scripted)
    return scripted


def _index(path: Path, name: str) -> None:
    result = runner.invoke(app, ["index", str(path), "--index", name, "--embedder", "hashing"])
    assert result.exit_code == 0, result.output


def test_a_conversation_with_a_follow_up_sources_clear_and_quit(indexes: Path, model: ScriptedChatModel) -> None:
    _index(EXAMPLES_KB, "t")
    typed = ["How long must passwords be?", "/sources", "And incidents?", "/bogus", "/clear",
             "How long must passwords be?", "/quit", "never read"]
    result = runner.invoke(app, ["chat", "--index", "t"], input="\n".join(typed) + "\n")
    assert result.exit_code == 0, result.output
    out = result.output
    assert out.count("14 characters long") >= 3  # the answer, its passage under /sources, the answer after /clear
    assert "within one hour" in out and "(asked as: How soon must a security incident be reported?)" in out
    assert out.count("\nsources:") == 3 and "security.txt" in out
    assert "unknown command /bogus" in out and "conversation cleared" in out
    rewrites = [prompt for prompt, _ in model.calls if FOLLOW_UP in prompt]
    assert len(rewrites) == 1 and "User: How long must passwords be?" in rewrites[0]  # none after /clear


def test_a_chinese_follow_up_is_rewritten_too(indexes: Path, model: ScriptedChatModel) -> None:
    _index(EXAMPLES_KB_ZH, "zh")
    result = runner.invoke(app, ["chat", "--index", "zh"], input="密码至少要多长？\n那多久换一次？\n")  # ends at EOF
    assert result.exit_code == 0, result.output
    assert "(asked as: 密码多久更换一次？)" in result.output  # (the hashing embedder finds no Chinese passage)
    rewrites = [prompt for prompt, _ in model.calls if FOLLOW_UP in prompt]
    assert len(rewrites) == 1 and "User: 密码至少要多长？" in rewrites[0]


def test_an_unknown_index_exits_2_before_the_first_prompt(indexes: Path) -> None:
    result = runner.invoke(app, ["chat", "--index", "never-built"], input="/quit\n")
    assert result.exit_code == 2 and "unknown index 'never-built'" in result.output
    assert "> " not in result.output
