"""Answers for the routes: checked access, admission to a model worker, the first event awaited before any
response is sent (so a damaged index or a full queue is a status code, not a broken stream), metrics at the end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from ragkit.chains.rag import Answer, RagEvent
from ragkit.chains.rewrite import HistoryInput
from ragkit.kb import KnowledgeBase
from ragkit.server.auth import Access
from ragkit.server.errors import QueueFullError
from ragkit.server.schemas import Filter, retrieval_settings
from ragkit.server.state import ServerState
from ragkit.server.usage import with_usage


async def answer_events(state: ServerState, access: Access, index: str, question: str, k: int | None,
                        filter: Filter | None, params: dict[str, Any], history: HistoryInput | None = None,
                        ) -> tuple[KnowledgeBase, AsyncIterator[RagEvent]]:
    """The knowledge base and the events of its answer: TextDeltas, then the Answer. Sources in the filter are
    named as clients see them; `history` ((role, text), oldest first) makes a follow-up standalone first."""
    access.require(index, "read")
    kb = state.kbs.get(index)
    if filter and "source" in filter:
        filter = {**filter, "source": state.kbs.stored_sources(kb, filter["source"])}
    retrieval = retrieval_settings(k, filter)
    try:
        stream = state.workers.start(lambda: with_usage(kb.stream(question, retrieval, history=history, **params)))
    except QueueFullError:
        state.metrics.rejected.inc()
        raise
    try:
        first = await anext(stream)
    except BaseException:
        stream.cancel()
        raise

    async def events() -> AsyncIterator[RagEvent]:
        event = first
        try:
            while not isinstance(event, Answer):
                yield event
                event = await anext(stream)
            state.metrics.answered(index, event)
            yield event
        finally:
            stream.cancel()

    return kb, events()


async def final_answer(events: AsyncIterator[RagEvent]) -> Answer:
    """The Answer at the end of the events."""
    async for event in events:
        if isinstance(event, Answer):
            return event
    raise AssertionError("an answer stream ended without its Answer")
