"""Token usage of each answer: the model's own counts where it reports them, else its tokenizer's count.

While an answer's events are produced (in its worker thread) a recorder sits in a context variable; the model pool
adds every generation to it (a question rewrite included), and the Answer's timings get the totals as
`usage_prompt_tokens` and `usage_completion_tokens`, apart from the chain's own per-generation keys. OpenAI's
`usage` and the token metrics are read from those two keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextvars import ContextVar, copy_context
from dataclasses import dataclass
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage

from ragkit.answer import Answer, RagEvent

PROMPT, COMPLETION = "usage_prompt_tokens", "usage_completion_tokens"
"""Keys of Answer.timings holding the answer's prompt and generated token counts."""


@dataclass
class Usage:
    """Tokens of the generations of one answer."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    generations: int = 0
    """Generations recorded; 0 means no counts (no model call, or a model with neither counts nor tokenizer)."""


_current: ContextVar[Usage | None] = ContextVar("ragkit_server_usage", default=None)


def record(model: BaseChatModel, messages: list[BaseMessage], reply: BaseMessage) -> None:
    """Add one generation to the answer being produced (no-op outside `with_usage`)."""
    usage = _current.get()
    if usage is None:
        return
    reported = getattr(reply, "usage_metadata", None)
    if reported and reported.get("input_tokens"):
        prompt, completion = reported["input_tokens"], reported.get("output_tokens", 0)
    else:
        count = tokenizer(model)
        if count is None:
            return
        prompt, completion = count("\n".join(m.text for m in messages)), count(reply.text)
    usage.prompt_tokens += prompt
    usage.completion_tokens += completion
    usage.generations += 1


def tokenizer(model: BaseChatModel) -> Callable[[str], int] | None:
    """The model's own token counter (llama.cpp models: the GGUF's vocabulary), or None when it has none."""
    from ragkit.models import ChatLlamaCpp, token_counter

    return token_counter(model.model) if isinstance(model, ChatLlamaCpp) else None


def with_usage(events: Iterator[RagEvent]) -> Iterator[RagEvent]:
    """The events, with the Answer's timings given the tokens its generations used."""
    usage, context = Usage(), copy_context()
    context.run(_current.set, usage)  # each step runs in this context: the recorder never leaks into the thread's
    try:
        while (event := context.run(next, events, None)) is not None:
            if isinstance(event, Answer) and usage.generations:
                event.timings.update({PROMPT: usage.prompt_tokens, COMPLETION: usage.completion_tokens})
            yield event
    finally:
        close = getattr(events, "close", None)  # closed early (client gone): stop the generation now
        if close is not None:
            context.run(close)


def tokens_of(timings: dict[str, Any]) -> tuple[int, int] | None:
    """(prompt, completion) tokens of an answer's timings, None when they were not counted."""
    if PROMPT not in timings or COMPLETION not in timings:
        return None
    return int(timings[PROMPT]), int(timings[COMPLETION])
