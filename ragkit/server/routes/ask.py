"""POST /v1/ask: a question to a knowledge base, answered with citations as JSON or as server-sent events."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, Response
from sse_starlette import ServerSentEvent

from ragkit.answer import Answer, TextDelta
from ragkit.server.answering import answer_events, final_answer
from ragkit.server.schemas import AskRequest, answer_json, answer_out
from ragkit.server.sse import event, sse_response
from ragkit.server.state import Caller, State
from ragkit.server.strict_json import StrictRoute
from ragkit.server.workers import CLIENT_GONE, unless_disconnected

router = APIRouter(tags=["answers"], route_class=StrictRoute)


@router.post("/v1/ask", response_model=Answer,
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "The Answer; with stream=true `delta` events, then one `answer`."}})
async def ask(body: AskRequest, state: State, access: Caller, request: Request):  # noqa: ANN201 - JSON or a stream
    params = {key: value for key, value in (("max_tokens", body.max_tokens), ("temperature", body.temperature))
              if value is not None}
    history = [(turn.role, turn.content) for turn in body.history or []]
    started = await answer_events(state, access, body.index, body.question, body.k, body.filter, params,
                                  request.receive, history)
    if started is None:
        return Response(status_code=CLIENT_GONE)
    kb, events = started

    def show(source: str) -> str:
        return state.kbs.public_source(kb, source)

    if not body.stream:
        final = await unless_disconnected(request.receive, final_answer(events))
        return answer_out(final, show) if final is not None else Response(status_code=CLIENT_GONE)

    async def stream() -> AsyncIterator[ServerSentEvent]:
        async for item in events:
            if isinstance(item, TextDelta):
                yield event({"text": item.text}, "delta")
            else:
                yield event(answer_json(item, show), "answer")

    return sse_response(stream())
