"""One model identity across the faces: `ragkit serve --model gemma3-270m-squad` (a real uvicorn server building its
own model pool), `KnowledgeBase(llm="gemma3-270m-squad")` and `ragkit ask --model gemma3-270m-squad` answer with
the prompt the preset's adapter was trained on, under one name, and the server's answer is the library's cache hit."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragkit.cli import app
from ragkit.kb import KnowledgeBase
from ragkit.server.cli import _settings
from tests.integration.server.live import LiveServer, with_docs

pytestmark = pytest.mark.integration
PRESET = "gemma3-270m-squad"
QUESTION = "How long must passwords be?"


def test_serve_the_library_and_ask_answer_a_preset_with_its_trained_prompt(tmp_path: Path,
                                                                           monkeypatch: pytest.MonkeyPatch) -> None:
    root = tmp_path / "indexes"
    # The settings `ragkit serve --model gemma3-270m-squad` builds, and no model injected: the server's own pool.
    server = LiveServer(_settings(model=PRESET, indexes=root, embedder="hashing", port=0), llm=None)
    try:
        with with_docs(server).client() as client:
            served = client.post("/v1/ask", json={"index": "docs", "question": QUESTION, "max_tokens": 24}).json()
    finally:
        server.stop()
    kb = KnowledgeBase(path=root / "docs", llm=PRESET)
    cached, fresh = kb.ask(QUESTION, max_tokens=24), kb.ask(QUESTION, cache=False, max_tokens=24)
    monkeypatch.setenv("RAGKIT_INDEXES", str(root))
    result = CliRunner().invoke(app, ["ask", QUESTION, "--index", "docs", "--model", PRESET, "--no-server",
                                      "--no-cache", "--max-tokens", "24"])
    assert result.exit_code == 0, result.output
    asked = kb.answers.log.events()[-1]  # the CLI's answer, as the answer log recorded it
    assert served["prompt"]["prompt_id"] == fresh.prompt["prompt_id"] == asked.prompt["prompt_id"] == "qa-extractive"
    assert served["model"] == fresh.model == asked.model == PRESET
    assert cached.cached and cached.text == served["text"]  # one identity, one cache key
    assert fresh.found and fresh.text == served["text"], (fresh.text, served["text"])  # greedy: the same answer
