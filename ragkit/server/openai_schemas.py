"""OpenAI chat-completion bodies, as much of them as a knowledge base can honour, plus ragkit's documented extras.

Extras: `citations` on the choice's message (and on the final chunk's delta when streaming), and `ragkit`
(found, extractive and why, the final text, model, prompt provenance, timings, warnings) on the completion and the
final chunk.
When the grounding guardrail replaced a streamed reply, the deltas are the model's reply and `ragkit.text` is the
answer to show.
"""

from __future__ import annotations

import time
import uuid
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ragkit.answer import Answer, Citation
from ragkit.server.schemas import MAX_TEXT, Filter
from ragkit.server.usage import tokens_of

KB_PREFIX = "kb:"
MAX_MESSAGES = 64
"""Most messages in one chat request (the history a follow-up is rewritten from is at most the last 50 turns)."""
MAX_CONVERSATION = 32_000
"""Most characters of all messages' text together."""


class ChatMessage(BaseModel):
    """A message of the conversation; content as text or as OpenAI content parts."""

    model_config = ConfigDict(extra="ignore")

    role: str
    """system, user, assistant (others are ignored)."""
    content: Annotated[str, Field(max_length=MAX_TEXT)] | Annotated[list[dict[str, Any]], Field(max_length=32)] | None \
        = None
    """The text, or parts of which those of type 'text' count."""

    def text(self) -> str:
        if isinstance(self.content, list):
            return "".join(str(p.get("text", "")) for p in self.content if p.get("type") == "text")
        return self.content or ""


class StreamOptions(BaseModel):
    """OpenAI's stream options."""

    model_config = ConfigDict(extra="ignore")

    include_usage: bool = False
    """Send a last chunk, before [DONE], with no choices and the completion's `usage`."""


class ChatCompletionRequest(BaseModel):
    """POST /v1/chat/completions. OpenAI parameters a knowledge base has no use for (top_p, n, tools, ...) are
    ignored, as OpenAI-compatible servers do, so clients work unchanged."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)

    model: str = Field(pattern=r"^kb:.+", max_length=200)
    """`kb:NAME` answers from knowledge base NAME."""
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    """The conversation; its last user message is the question, the user and assistant messages before it the
    history a follow-up is made standalone from."""
    stream: bool = False
    """Stream `chat.completion.chunk` events, then `[DONE]`."""
    stream_options: StreamOptions | None = None
    """With `include_usage`, the stream ends with a chunk carrying `usage`."""
    max_tokens: int | None = Field(None, ge=1, le=8192)
    """Most tokens to generate."""
    max_completion_tokens: int | None = Field(None, ge=1, le=8192)
    """The newer name of max_tokens (wins when both are given)."""
    temperature: float | None = Field(None, ge=0, le=2)
    """Sampling temperature."""
    k: int | None = Field(None, ge=1, le=100)
    """ragkit extra: passages given to the model."""
    filter: Filter | None = None
    """ragkit extra: metadata filter of the retrieval (sources as listed)."""

    @field_validator("messages")
    @classmethod
    def _has_question(cls, messages: list[ChatMessage]) -> list[ChatMessage]:
        if not any(m.role == "user" and m.text().strip() for m in messages):
            raise ValueError("no user message with text: the last user message is the question")
        lengths = [len(m.text()) for m in messages]
        if max(lengths) > MAX_TEXT or sum(lengths) > MAX_CONVERSATION:
            raise ValueError(f"messages too long: at most {MAX_TEXT:,} characters each and {MAX_CONVERSATION:,} "
                             f"together, not {max(lengths):,} and {sum(lengths):,}")
        return messages

    @property
    def index(self) -> str:
        return self.model.removeprefix(KB_PREFIX)

    def question(self) -> str:
        return self.messages[self._last_question()].text()

    def history(self) -> list[tuple[str, str]]:
        """The user and assistant messages before the question, oldest first (system and tool messages dropped)."""
        earlier = self.messages[:self._last_question()]
        return [(m.role, m.text()) for m in earlier if m.role in ("user", "assistant") and m.text().strip()]

    def _last_question(self) -> int:
        return max(i for i, m in enumerate(self.messages) if m.role == "user" and m.text().strip())

    def params(self) -> dict[str, Any]:
        limit = self.max_completion_tokens or self.max_tokens
        given = (("max_tokens", limit), ("temperature", self.temperature))
        return {key: value for key, value in given if value is not None}


class RagkitExtra(BaseModel):
    """What the Answer says beyond the text."""

    model_config = ConfigDict(extra="forbid")

    text: str
    """The answer to show (differs from streamed deltas when the guardrail replaced the reply)."""
    found: bool
    """False when nothing relevant was found (no model call)."""
    extractive: bool
    """True when the reply was replaced by a quoted sentence of the cited passage."""
    model: str
    """The model that generated the reply."""
    prompt: dict[str, Any]
    """Prompt provenance."""
    timings: dict[str, float]
    """Where the time went, and the tokens of its generations (usage_prompt_tokens, usage_completion_tokens)."""
    cached: bool = False
    """The answer came from the answer cache."""
    event_id: str = ""
    """The answer's event id, for POST /v1/feedback."""
    rewritten: str = ""
    """The standalone question the last user message was rewritten into from the earlier messages."""
    replaced_because: str = ""
    """Why the guardrail replaced the model's reply; empty when it was kept."""
    warnings: list[str] = Field(default_factory=list)
    """What was removed from passages, unsupported citations, and why a question was refused."""

    @classmethod
    def of(cls, answer: Answer) -> RagkitExtra:
        return cls(text=answer.text, found=answer.found, extractive=answer.extractive, model=answer.model,
                   prompt=answer.prompt, timings=answer.timings, cached=answer.cached, event_id=answer.event_id,
                   rewritten=answer.rewritten, replaced_because=answer.replaced_because,
                   warnings=list(answer.warnings))


class CompletionUsage(BaseModel):
    """Tokens the answer's generations read and wrote, as the model counted them (else its tokenizer)."""

    model_config = ConfigDict(extra="forbid")

    prompt_tokens: int
    completion_tokens: int
    total_tokens: int

    @classmethod
    def of(cls, answer: Answer) -> CompletionUsage | None:
        """The answer's usage; zero when no model was called (nothing found, or an answer-cache hit), None when its
        model cannot count."""
        spent = answer.found and not getattr(answer, "cached", False)
        tokens = (0, 0) if not spent else tokens_of(answer.timings)
        if tokens is None:
            return None
        return cls(prompt_tokens=tokens[0], completion_tokens=tokens[1], total_tokens=sum(tokens))


class AssistantMessage(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["assistant"] = "assistant"
    content: str
    citations: list[Citation] = Field(default_factory=list)
    """ragkit extra: the passages the answer cites."""


class Choice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = 0
    message: AssistantMessage
    finish_reason: Literal["stop", "length"] = "stop"


class ChatCompletion(BaseModel):
    """A non-streamed reply."""

    model_config = ConfigDict(extra="forbid")

    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    choices: list[Choice]
    usage: CompletionUsage | None = None
    ragkit: RagkitExtra


class Delta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["assistant"] | None = None
    content: str | None = None
    citations: list[Citation] | None = None
    """ragkit extra, on the final chunk."""


class ChunkChoice(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: int = 0
    delta: Delta
    finish_reason: Literal["stop", "length"] | None = None


class ChatCompletionChunk(BaseModel):
    """One streamed piece."""

    model_config = ConfigDict(extra="forbid")

    id: str
    object: Literal["chat.completion.chunk"] = "chat.completion.chunk"
    created: int
    model: str
    choices: list[ChunkChoice]
    """Empty in the usage chunk."""
    usage: CompletionUsage | None = None
    """On the usage chunk only (stream_options.include_usage)."""
    ragkit: RagkitExtra | None = None
    """ragkit extra, on the final chunk."""


class ModelCard(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    object: Literal["model"] = "model"
    created: int
    owned_by: str = "ragkit"


class ModelList(BaseModel):
    model_config = ConfigDict(extra="forbid")

    object: Literal["list"] = "list"
    data: list[ModelCard]


def completion_id() -> str:
    return f"chatcmpl-{uuid.uuid4().hex}"


def now() -> int:
    return int(time.time())
