"""JSON request bodies parsed strictly: NaN, Infinity and lone surrogates (valid Python, not valid JSON text a
server can store or answer with) are a 422 naming the position, never a 500 later on."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")


class StrictRequest(Request):
    """A request whose .json() refuses what json.loads lets through."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            value = json.loads(body, parse_constant=lambda name: _refuse(f"{name} is not a JSON number", body))
            if _ESCAPED_SURROGATE.search(body):  # a pair is fine, a lone one cannot be encoded
                try:
                    json.dumps(value, ensure_ascii=False).encode("utf-8")
                except UnicodeEncodeError:
                    _refuse("a lone surrogate (\\ud800-\\udfff without its pair) is not text", body)
            self._json = value
        return self._json


class StrictRoute(APIRoute):
    """Routes whose handlers see a StrictRequest."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictRequest(request.scope, request.receive))

        return strict


def _refuse(message: str, body: bytes) -> Any:
    raise json.JSONDecodeError(message, body.decode("utf-8", "replace")[:0], 0)
