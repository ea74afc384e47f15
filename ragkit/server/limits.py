"""ASGI middleware that refuses an oversized request body before reading it."""

from __future__ import annotations

from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send


class BodyLimit:
    """ASGI middleware: 413 for a request whose declared Content-Length is over the limit, before it is read."""

    def __init__(self, app: ASGIApp, max_bytes: int, body: Callable[[int, str], bytes]):
        self.app = app
        self.max_bytes = max_bytes
        self.body = body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            length = dict(scope["headers"]).get(b"content-length", b"0")
            if length.isdigit() and int(length) > self.max_bytes:
                message = f"request body of {int(length)} bytes is over the limit of {self.max_bytes} bytes"
                await send({"type": "http.response.start", "status": 413,
                            "headers": [(b"content-type", b"application/json")]})
                await send({"type": "http.response.body", "body": self.body(413, message)})
                return
        await self.app(scope, receive, send)
