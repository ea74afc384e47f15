"""OpenAI-compatible chat completions over the knowledge bases: the model `kb:NAME` answers from NAME."""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request, Response
from sse_starlette import ServerSentEvent

from ragkit.answer import Answer, TextDelta
from ragkit.server.answering import answer_events, final_answer
from ragkit.server.openai_schemas import (
    KB_PREFIX,
    AssistantMessage,
    ChatCompletion,
    ChatCompletionChunk,
    ChatCompletionRequest,
    Choice,
    ChunkChoice,
    CompletionUsage,
    Delta,
    ModelCard,
    ModelList,
    RagkitExtra,
    completion_id,
    now,
)
from ragkit.server.schemas import answer_out
from ragkit.server.sse import event, sse_response
from ragkit.server.state import Caller, State
from ragkit.server.strict_json import StrictRoute
from ragkit.server.workers import CLIENT_GONE, unless_disconnected

router = APIRouter(prefix="/v1", tags=["openai"], route_class=StrictRoute)


@router.get("/models")
def list_models(state: State, access: Caller) -> ModelList:
    """Every readable knowledge base as a model `kb:NAME`."""
    cards = []
    for name in state.kbs.names():
        if access.can(name, "read"):
            try:
                created = int((state.kbs.directory(name) / "manifest.json").stat().st_mtime)
            except FileNotFoundError:  # deleted since it was listed
                continue
            cards.append(ModelCard(id=KB_PREFIX + name, created=created))
    return ModelList(data=cards)


@router.post("/chat/completions", response_model=ChatCompletion,
             responses={200: {"content": {"text/event-stream": {}},
                              "description": "A chat.completion; with stream=true chunks, then [DONE]."}})
async def chat_completions(body: ChatCompletionRequest, state: State, access: Caller, request: Request):  # noqa: ANN201
    started = await answer_events(state, access, body.index, body.question(), body.k, body.filter,
                                  body.params(), request.receive, body.history())
    if started is None:
        return Response(status_code=CLIENT_GONE)
    kb, events = started
    reply_id, created = completion_id(), now()

    def show(source: str) -> str:
        return state.kbs.public_source(kb, source)

    if not body.stream:
        final = await unless_disconnected(request.receive, final_answer(events))
        if final is None:
            return Response(status_code=CLIENT_GONE)
        answer = answer_out(final, show)
        message = AssistantMessage(content=answer.text, citations=answer.citations)
        return ChatCompletion(id=reply_id, created=created, model=body.model, choices=[Choice(message=message)],
                              usage=CompletionUsage.of(answer), ragkit=RagkitExtra.of(answer))

    def chunk(delta: Delta, finish: bool = False, extra: RagkitExtra | None = None) -> ServerSentEvent:
        piece = ChatCompletionChunk(id=reply_id, created=created, model=body.model, ragkit=extra,
                                    choices=[ChunkChoice(delta=delta, finish_reason="stop" if finish else None)])
        return event(piece.model_dump(mode="json", exclude_none=True))

    def usage_chunk(answer: Answer) -> ServerSentEvent:
        piece = ChatCompletionChunk(id=reply_id, created=created, model=body.model, choices=[],
                                    usage=CompletionUsage.of(answer))
        return event(piece.model_dump(mode="json", exclude_none=True))

    include_usage = body.stream_options is not None and body.stream_options.include_usage

    async def stream() -> AsyncIterator[ServerSentEvent]:
        yield chunk(Delta(role="assistant", content=""))
        async for item in events:
            if isinstance(item, TextDelta):
                yield chunk(Delta(content=item.text))
            else:
                answer = answer_out(item, show)
                yield chunk(Delta(citations=answer.citations), finish=True, extra=RagkitExtra.of(answer))
                if include_usage:
                    yield usage_chunk(answer)
        yield event("[DONE]")

    return sse_response(stream())
