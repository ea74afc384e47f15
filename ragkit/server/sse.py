"""Server-sent events: JSON payloads, and an `error` event when a stream fails after its headers were sent."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from sse_starlette import EventSourceResponse, ServerSentEvent

from ragkit.server.errors import error_body, log, status_of


def event(data: Any, name: str | None = None) -> ServerSentEvent:
    """One event whose data is `data` as JSON (or `data` itself when it is a string, e.g. '[DONE]')."""
    payload = data if isinstance(data, str) else json.dumps(data, ensure_ascii=False)
    return ServerSentEvent(data=payload, event=name)


def sse_response(events: AsyncIterator[ServerSentEvent]) -> EventSourceResponse:
    """Stream events; an exception ends the stream with an `error` event holding the error document."""

    async def guarded() -> AsyncIterator[ServerSentEvent]:
        try:
            async for item in events:
                yield item
        except Exception as exc:  # noqa: BLE001 - the status line is gone: report the error in the stream
            status = status_of(exc)
            if status == 500:
                log.exception("stream failed", exc_info=exc)
            yield event(error_body(status, str(exc) if status != 500 else "internal server error"), "error")

    return EventSourceResponse(guarded(), ping=15)
