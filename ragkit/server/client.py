"""Answers from a running `ragkit serve` over its HTTP API (POST /v1/ask, streamed), as the library's RagEvents, so
`ragkit ask` can reuse a warm server instead of loading the embedder, the index and the model itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from pydantic import TypeAdapter

from ragkit.answer import Answer, RagEvent, TextDelta
from ragkit.errors import RagkitError

CONNECT_TIMEOUT_S = 1.0
"""A server that does not accept the connection within this is taken as gone (the caller answers in-process)."""


class ServerUnavailable(RagkitError):
    """No server answered at the URL (not running, or not yet listening)."""


def answer_from_json(data: dict[str, Any]) -> Answer:
    """The library's Answer from the server's answer body (the Answer itself as JSON; fields a newer server adds
    are ignored)."""
    return TypeAdapter(Answer).validate_python(data)


def stream_answer(url: str, index: str, question: str, timeout_s: float = 600.0,
                  **fields: Any) -> Iterator[RagEvent]:
    """TextDeltas, then the Answer, from POST {url}/v1/ask with stream=true; `fields` are AskRequest's (k,
    max_tokens, temperature, history). ServerUnavailable when nothing listens there; a 4xx is a RagkitError."""
    import httpx
    from httpx_sse import connect_sse

    body = {"index": index, "question": question, "stream": True,
            **{key: value for key, value in fields.items() if value is not None}}
    timeout = httpx.Timeout(timeout_s, connect=CONNECT_TIMEOUT_S)
    try:
        with httpx.Client(base_url=url, timeout=timeout) as client, \
                connect_sse(client, "POST", "/v1/ask", json=body) as source:
            if source.response.status_code != 200:
                source.response.read()
                raise RagkitError(f"the server at {url} answered {source.response.status_code}: "
                                  f"{_message(source.response.text)}")
            for sse in source.iter_sse():
                if sse.event == "delta":
                    yield TextDelta(json.loads(sse.data)["text"])
                elif sse.event == "answer":
                    yield answer_from_json(json.loads(sse.data))
                elif sse.event == "error":
                    raise RagkitError(f"the server at {url} failed: {_message(sse.data)}")
    except httpx.ConnectError as exc:
        raise ServerUnavailable(f"no ragkit server at {url}") from exc


def _message(text: str) -> str:
    """The message of the server's error document ({"error": {"message": ...}}), else the text itself."""
    try:
        return str(json.loads(text)["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return text[:200]
