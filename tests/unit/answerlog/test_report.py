"""`ragkit report`: latency percentiles, refusal, guardrail and cache-hit rates and feedback per prompt version."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ragkit.models
from ragkit.answerlog import Event, Feedback
from ragkit.answerlog.report import ALL, summarize
from ragkit.cli import app
from ragkit.kb import KnowledgeBase
from tests.helpers import EXAMPLES_KB
from tests.scripted_model import ScriptedChatModel
from tests.unit.answerlog.conftest import QUESTION, REPLY

pytestmark = pytest.mark.unit
runner = CliRunner()


def _event(version: int, latency: float, **flags) -> Event:
    prompt = {"prompt_id": "rag-answer", "prompt_version": version, "prompt_sha256": f"{version}" * 64}
    return Event(index="t", generation="gen-000001", model="m", prompt=prompt, question="q", latency_s=latency,
                 **{"found": True, **flags})


def test_summary_per_prompt_version():
    events = [_event(4, s) for s in (1.0, 2.0, 3.0, 4.0)] + [
        _event(4, 0.001, cached=True), _event(4, 0.5, found=False), _event(4, 9.0, error="RuntimeError: x"),
        _event(5, 2.0, extractive=True), _event(5, 4.0)]
    feedback = [Feedback(events[0].id, 1, "", 0.0), Feedback(events[1].id, -1, "", 0.0),
                Feedback(events[7].id, 1, "", 0.0)]
    v4, v5, total = summarize(events, feedback)
    assert v4.prompt == "rag-answer v4 (44444444)" and v5.prompt.startswith("rag-answer v5") and total.prompt == ALL
    assert (v4.answers, v4.errors, v4.up, v4.down) == (6, 1, 1, 1)
    assert v4.p50_s == pytest.approx(1.5) and v4.p95_s == pytest.approx(3.75)
    assert v4.refusal_rate == pytest.approx(1 / 6) and v4.cache_hit_rate == pytest.approx(1 / 6)
    assert v4.guardrail_rate == 0 and v5.guardrail_rate == pytest.approx(0.5)
    assert (total.answers, total.errors, total.up, total.down) == (8, 1, 2, 1)
    assert summarize([], []) == []
    only_errors = summarize([_event(4, 1.0, error="x")], [])[0]
    assert only_errors.answers == 0 and math.isnan(only_errors.p50_s) and math.isnan(only_errors.refusal_rate)


def _index(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert runner.invoke(app, ["index", str(EXAMPLES_KB), "--index", name, "--embedder", "hashing"]).exit_code == 0
    monkeypatch.setattr(ragkit.models, "chat_model", lambda *args, **kwargs: ScriptedChatModel.saying(REPLY))


def test_ask_uses_the_cache_unless_told_not_to(indexes: Path, monkeypatch: pytest.MonkeyPatch):
    _index("t", monkeypatch)
    first = runner.invoke(app, ["ask", QUESTION, "--index", "t"])
    second = runner.invoke(app, ["ask", QUESTION, "--index", "t"])
    fresh = runner.invoke(app, ["ask", QUESTION, "--index", "t", "--no-cache"])
    assert first.exit_code == second.exit_code == fresh.exit_code == 0, first.output
    assert REPLY in first.output and REPLY in second.output and REPLY in fresh.output
    assert "from the answer cache" in second.output
    assert "from the answer cache" not in first.output + fresh.output


def test_report_prints_the_table_and_writes_the_png(indexes: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    _index("t", monkeypatch)
    kb = KnowledgeBase("t", llm=ScriptedChatModel.saying(REPLY))
    answer = kb.ask(QUESTION)
    kb.ask(QUESTION)
    kb.ask("zzqx vvkw")
    kb.feedback(answer.event_id, "up")
    png = tmp_path / "out" / "report.png"
    result = runner.invoke(app, ["report", "--index", "t", "--png", str(png)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "rag-answer v" in line)
    cells = [cell.strip() for cell in row.strip("│┃ ").split("│")]
    assert cells[1:3] == ["3", "0"] and cells[5:] == ["33%", "0%", "33%", "1", "0"], cells
    assert png.read_bytes().startswith(b"\x89PNG")
    everything = runner.invoke(app, ["report"])
    assert everything.exit_code == 0 and "3 answers in 1 indexes" in everything.output


def test_report_without_answers_or_with_an_unknown_index(indexes: Path, monkeypatch: pytest.MonkeyPatch):
    _index("t", monkeypatch)
    empty = runner.invoke(app, ["report", "--index", "t"])
    assert empty.exit_code == 0 and "no answers logged in index 't' yet" in empty.output
    unknown = runner.invoke(app, ["report", "--index", "nope"])
    assert unknown.exit_code == 2 and "unknown index 'nope'" in unknown.output
