"""Answer.timings carries the model's prefill/decode split (from its last chunk's metadata) and the guardrail time."""

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGenerationChunk

from ragkit.cli_answer import timing_line
from ragkit.kb import KnowledgeBase
from ragkit.settings import RetrievalSettings
from tests.helpers import EXAMPLES_KB
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit

SPLIT = {"prompt_tokens": 300.0, "prefill_tokens": 120.0, "prefill_s": 0.5, "prefill_tok_s": 240.0,
         "first_token_s": 0.6, "decode_tokens": 9.0, "decode_s": 0.9, "decode_tok_s": 10.0}


class _MeteredModel(ScriptedChatModel):
    """A scripted model whose stream ends, like ragkit's backends, with an empty chunk carrying the timings."""

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        yield from super()._stream(messages, stop, run_manager, **kwargs)
        yield ChatGenerationChunk(message=AIMessageChunk(content="", response_metadata={"timings": SPLIT}))


def _kb(tmp_path: Path, hashing) -> KnowledgeBase:
    llm = _MeteredModel.saying("Book at least 14 days before departure [1].")
    kb = KnowledgeBase(path=tmp_path / "idx", embedder=hashing, llm=llm,
                       retrieval=RetrievalSettings(score_threshold=None))
    kb.index([EXAMPLES_KB])
    return kb


def test_answer_timings_hold_the_model_split_and_the_guardrail(tmp_path: Path, hashing) -> None:
    answer = _kb(tmp_path, hashing).ask("How many days before departure must flights be booked?")
    t = answer.timings
    assert {k: t[k] for k in SPLIT if k != "first_token_s"} == {k: v for k, v in SPLIT.items() if k != "first_token_s"}
    assert t["first_token_s"] != SPLIT["first_token_s"]  # measured by the chain, not copied from the model
    assert t["guardrail_s"] >= 0
    assert t["retrieve_s"] + t["generate_s"] + t["guardrail_s"] == pytest.approx(t["total_s"])


async def test_async_stream_collects_the_same_split(tmp_path: Path, hashing) -> None:
    kb = _kb(tmp_path, hashing)
    answer = await kb.chain().ainvoke("How many days before departure must flights be booked?")
    assert answer.timings["prefill_tokens"] == 120 and answer.timings["decode_tok_s"] == 10


def test_timing_line_shows_each_part() -> None:
    line = timing_line({"retrieve_s": 0.1, **SPLIT, "guardrail_s": 0.01, "total_s": 2.0})
    assert "prefill 120 tokens (180 cached) 0.50 s, 240 tok/s" in line
    assert "decode 9 tokens 0.90 s, 10.0 tok/s" in line and "guardrail 0.01 s" in line
    assert timing_line({"retrieve_s": 0.1, "total_s": 0.1}) == "time: retrieval 0.10 s | total 0.10 s"
