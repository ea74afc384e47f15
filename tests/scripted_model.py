"""A deterministic chat model for chain tests: each reply is a function of the prompt text and call parameters,
so results do not depend on call order (async chains call concurrently)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from pydantic import ConfigDict, Field, PrivateAttr

Reply = Callable[[str, dict[str, Any]], str]


class ScriptedChatModel(BaseChatModel):
    """Replies with `reply(prompt_text, params)`; records every prompt and its parameters in `calls`."""

    model_config = ConfigDict(arbitrary_types_allowed=True)
    reply: Reply
    calls: list[tuple[str, dict[str, Any]]] = Field(default_factory=list)
    _lock: threading.Lock = PrivateAttr(default_factory=threading.Lock)

    @property
    def _llm_type(self) -> str:
        return "scripted"

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None, run_manager: Any = None,
                  **kwargs: Any) -> ChatResult:
        text = "\n\n".join(m.text for m in messages)
        params = {"stop": stop, **kwargs}
        with self._lock:
            self.calls.append((text, params))
        return ChatResult(generations=[ChatGeneration(message=AIMessage(self.reply(text, params)))])


def after(text: str, marker: str) -> str:
    """The part of a prompt after the last occurrence of marker (the query, past any few-shot examples)."""
    return text.rsplit(marker, 1)[-1]
