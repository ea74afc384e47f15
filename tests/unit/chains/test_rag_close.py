"""Closing a RagChain stream early stops the model's stream (the server closes it when a client goes away)."""

from __future__ import annotations

from pathlib import Path

import pytest
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk

from ragkit.kb import KnowledgeBase
from ragkit.settings import RetrievalSettings
from tests.helpers import EXAMPLES_KB
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit


class Counting(ScriptedChatModel):
    """Streams 50 tokens, counting how many were generated."""

    produced: int = 0

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        for _ in range(50):
            self.produced += 1
            yield ChatGenerationChunk(message=AIMessageChunk(content="tick "))


def test_closing_the_stream_stops_generation(tmp_path: Path, hashing):
    llm = Counting(reply=lambda prompt, params: "unused")
    kb = KnowledgeBase(path=tmp_path / "idx", embedder=hashing, llm=llm,
                       retrieval=RetrievalSettings(score_threshold=None))
    kb.index([EXAMPLES_KB])
    events = kb.stream("What is the hotel cap?")
    assert next(events).text == "tick " and next(events).text == "tick "
    events.close()
    assert llm.produced <= 3  # an output parser in the chain used to drain all 50
