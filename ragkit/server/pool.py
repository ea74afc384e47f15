"""A bounded pool of chat models behind one LangChain chat model: each generation borrows a free model.

llama.cpp contexts are not thread-safe, so a model serves one generation at a time; the pool is what lets the
server run retrieval for every request concurrently while generations wait for a free model.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from langchain_core.callbacks import CallbackManagerForLLMRun
from langchain_core.language_models import BaseChatModel
from langchain_core.language_models.base import LangSmithParams
from langchain_core.messages import AIMessageChunk, BaseMessage, BaseMessageChunk
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult
from pydantic import ConfigDict

from ragkit import Identified, ModelIdentity, identity_of
from ragkit.server import usage

abandoned: ContextVar[threading.Event | None] = ContextVar("ragkit_server_abandoned", default=None)
"""Set (by the answer workers) while a request's answer is produced; once the event is set (client gone, deadline
passed) a generation still waiting for a model stops waiting, so it neither holds its queue slot nor takes a model."""
_POLL_S = 0.1


class AbandonedError(Exception):
    """The request was given up (client gone, deadline passed) before a model was free."""


class ModelPool:
    """Chat models of one identity, each lent to one generation at a time, first come first served; counts who is
    waiting."""

    def __init__(self, models: Sequence[BaseChatModel]):
        if not models:
            raise ValueError("a model pool needs at least one model")
        self.identity = identity_of(models[0])
        """What every model of the pool answers as (they differ at most in threads and contexts)."""
        if any(identity_of(model) != self.identity for model in models):
            raise ValueError("a model pool's models must share one identity: any of them may answer a question")
        self.models = list(models)
        self._idle = list(self.models)
        self._turns: deque[object] = deque()
        """Waiting generations in arrival order: a model goes to the oldest. (A queue.Queue polled with timeouts
        hands it to whichever poller wakes first: under 8 clients on one model some waited 6x the median.)"""
        self._changed = threading.Condition()

    @property
    def waiting(self) -> int:
        """Generations waiting for a free model (the queue depth)."""
        return len(self._turns)

    @property
    def busy(self) -> int:
        """Models generating now."""
        return len(self.models) - len(self._idle)

    @contextmanager
    def borrow(self) -> Iterator[BaseChatModel]:
        """A free model for the duration of the block, in arrival order (waits for one, unless the request is
        abandoned meanwhile)."""
        gave_up, turn = abandoned.get(), object()
        with self._changed:
            self._turns.append(turn)
            try:
                while not (self._idle and self._turns[0] is turn):
                    if gave_up is not None and gave_up.is_set():
                        raise AbandonedError("the request was abandoned while waiting for a model")
                    self._changed.wait(_POLL_S)
                model = self._idle.pop()
            finally:
                self._turns.remove(turn)
                self._changed.notify_all()
        try:
            yield model
        finally:
            with self._changed:
                self._idle.append(model)
                self._changed.notify_all()


class PooledChatModel(BaseChatModel, Identified):
    """A chat model that generates with a free model of its pool, and answers as the pool's identity."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    pool: ModelPool
    """The models generations are spread over."""

    @property
    def _llm_type(self) -> str:
        return "ragkit-pool"

    @property
    def identity(self) -> ModelIdentity:
        """The pool's models' identity: the prompt choice, the answer-cache key and Answer.model read it."""
        return self.pool.identity

    def _get_ls_params(self, stop: list[str] | None = None, **kwargs: Any) -> LangSmithParams:
        """Traces name the pool's model."""
        params = super()._get_ls_params(stop, **kwargs)
        params["ls_model_name"] = self.identity.name
        return params

    def _generate(self, messages: list[BaseMessage], stop: list[str] | None = None,
                  run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> ChatResult:
        with self.pool.borrow() as model:
            message = model.invoke(messages, stop=stop, **kwargs)
            usage.record(model, messages, message)
        return ChatResult(generations=[ChatGeneration(message=message)])

    def _stream(self, messages: list[BaseMessage], stop: list[str] | None = None,
                run_manager: CallbackManagerForLLMRun | None = None, **kwargs: Any) -> Iterator[ChatGenerationChunk]:
        # Closing this generator (client gone, timeout) closes the model's stream and gives the model back.
        with self.pool.borrow() as model:
            reply: BaseMessageChunk | None = None
            for message in model.stream(messages, stop=stop, **kwargs):
                chunk = ChatGenerationChunk(message=_as_chunk(message))
                reply = chunk.message if reply is None else reply + chunk.message
                if run_manager and message.text:
                    run_manager.on_llm_new_token(message.text, chunk=chunk)
                yield chunk
            usage.record(model, messages, reply or AIMessageChunk(content=""))


def _as_chunk(message: BaseMessage) -> AIMessageChunk:
    """Models without streaming yield their whole reply as an AIMessage; streams are made of chunks."""
    if isinstance(message, AIMessageChunk):
        return message
    return AIMessageChunk(content=message.content, response_metadata=message.response_metadata,
                          usage_metadata=getattr(message, "usage_metadata", None), id=message.id)


def worker_models(model: str | None, workers: int) -> list[BaseChatModel]:
    """One llama.cpp chat model per worker, each with a llama.cpp context of its own (one context serves one
    generation at a time, so shared contexts would serialize the workers) and an equal share of the CPU cores."""
    from ragkit import ChatLlamaCpp

    threads = None if workers == 1 else max(1, (os.cpu_count() or 1) // workers)
    return [ChatLlamaCpp(model=model, own_context=workers > 1, n_threads=threads) for _ in range(workers)]
