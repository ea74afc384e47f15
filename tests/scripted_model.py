"""The one fake chat model of the test suite: each reply is a function of the prompt text and call parameters, so
results do not depend on call order (async chains call concurrently); streamed replies come word by word."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AIMessageChunk, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

Reply = Callable[[str, dict[str, Any]], str]
_WORD_START = re.compile(r"(?<=\s)(?=\S)")


class ScriptedChatModel(BaseChatModel):
    """Replies with `reply(prompt_text, params)`; records every prompt and its parameters in `calls`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    reply: Reply
    calls: list[tuple[str, dict[str, Any]]] = Field(default_factory=list, exclude=True)
    """A record, not a setting: excluded, so the model's identity (ragkit.models.identity_of) stays put."""
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @classmethod
    def saying(cls, text: str) -> ScriptedChatModel:
        """A model that replies `text` to every prompt."""
        return cls(reply=lambda prompt, params: text)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _respond(self, messages: list[BaseMessage], stop: list[str] | None, kwargs: dict[str, Any]) -> str:
        text = "\n\n".join(m.text for m in messages)
        params = {"stop": stop, **kwargs}
        with self._lock:
            self.calls.append((text, params))
        return self.reply(text, params)

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self._respond(messages, stop, kwargs)))])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        for piece in _WORD_START.split(self._respond(messages, stop, kwargs)):
            chunk = ChatGenerationChunk(message=AIMessageChunk(content=piece))
            if run_manager:
                run_manager.on_llm_new_token(piece, chunk=chunk)
            yield chunk


def after(text: str, marker: str) -> str:
    """The part of a prompt after the last occurrence of marker (the query, past any few-shot examples)."""
    return text.rsplit(marker, 1)[-1]
