"""Answers for the routes: checked access, admission to a model worker, the first event awaited before any
response is sent (so a damaged index or a full queue is a status code, not a broken stream), metrics at the end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import Receive

from ragkit.answer import Answer, RagEvent
from ragkit.chains.rewrite import HistoryInput
from ragkit.kb import KnowledgeBase
from ragkit.server.auth import Access
from ragkit.server.errors import QueueFullError
from ragkit.server.schemas import Filter, retrieval_settings
from ragkit.server.state import ServerState
from ragkit.server.usage import with_usage
from ragkit.server.workers import unless_disconnected
from ragkit.settings import RetrievalSettings


async def answer_events(state: ServerState, access: Access, index: str, question: str, k: int | None,
                        filter: Filter | None, params: dict[str, Any], receive: Receive,
                        history: HistoryInput | None = None) -> tuple[KnowledgeBase, AsyncIterator[RagEvent]] | None:
    """The knowledge base and the events of its answer: TextDeltas, then the Answer; None when the client left
    before the first event (while queued: its generation never starts). Sources in the filter are named as clients
    see them; `history` ((role, text), oldest first) makes a follow-up standalone first."""
    access.require(index, "read")

    def prepare() -> tuple[KnowledgeBase, RetrievalSettings | None]:  # file and database work: off the event loop
        kb = state.kbs.get(index)
        given = filter
        if given and "source" in given:
            given = {**given, "source": state.kbs.stored_sources(kb, given["source"])}
        return kb, retrieval_settings(k, given)

    kb, retrieval = await run_in_threadpool(prepare)
    try:
        # With keys on, each key has answer-cache entries of its own: a hit (its `cached` flag, its speed) would
        # otherwise tell one reader what another asked.
        scope = access.key.id if access.key is not None else ""
        stream = state.workers.start(lambda: with_usage(kb.stream(question, retrieval, history=history,
                                                                  cache_scope=scope, **params)))
    except QueueFullError:
        state.metrics.rejected.inc()
        raise
    try:
        first = await unless_disconnected(receive, anext(stream))
    except BaseException:
        stream.cancel()
        raise
    if first is None:
        stream.cancel()
        return None

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
