"""ASGI middleware that bounds request bodies per route, counting bytes as they arrive (chunked bodies too).

A declared Content-Length over the route's limit is refused before anything is read; a body that grows past it
(chunked, or longer than declared) is cut off at the limit: the route sees BodyTooLarge, an HTTPException that
FastAPI's body parsing passes through, so the client gets a 413 and the connection is closed.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.exceptions import HTTPException
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CLOSE = {"Connection": "close"}
"""Sent with a refusal whose body was not read: the rest of it is never read either."""
RouteLimit = Callable[[Scope], int]
"""The most body bytes a request (its method and path) may carry."""
ErrorResponse = Callable[[int, str, dict[str, str]], Response]
"""A JSON error response for a status, a message and headers."""


class BodyTooLarge(HTTPException):
    """The body grew past its route's limit while it was read."""

    def __init__(self, limit: int):
        super().__init__(413, f"request body over the limit of {limit} bytes for this route", headers=CLOSE)


class BodyLimit:
    """ASGI middleware: at most `limit(scope)` body bytes per request, counted as they arrive."""

    def __init__(self, app: ASGIApp, limit: RouteLimit, error: ErrorResponse):
        self.app = app
        self.limit = limit
        self.error = error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit(scope)
        declared = Headers(scope=scope).get("content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            message = (f"request body of {declared} bytes is over the limit of {limit} bytes for this route"
                       if declared.isdigit() else "invalid Content-Length")
            await self.error(413 if declared.isdigit() else 400, message, CLOSE)(scope, receive, send)
            return
        received, started = 0, False
        unread = declared not in (None, "0") or "transfer-encoding" in Headers(scope=scope)

        async def counted() -> Message:
            nonlocal received, unread
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                unread = bool(message.get("more_body"))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        async def watched(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                headers = list(message.get("headers", []))
                # Answered before the whole body came (a refusal): stop reading it rather than drain it.
                if unread and all(name.lower() != b"connection" for name, _ in headers):
                    message = {**message, "headers": [*headers, (b"connection", b"close")]}
            await send(message)

        try:
            await self.app(scope, counted, watched)
        except BodyTooLarge as exc:  # raised where no handler turned it into a response
            if started:
                raise
            await self.error(413, str(exc.detail), CLOSE)(scope, receive, send)
