"""Request and response bodies of the knowledge-base and ask routes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any, Literal

from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from ragkit.answer import Answer, Citation
from ragkit.settings import RetrievalSettings

Show = Callable[[str], str]
"""How a stored source is shown to clients."""
MAX_FILTER_KEYS = 16
MAX_FILTER_VALUES = 500
"""A filter names at most this many values per key (e.g. sources): matching is linear in them."""
MAX_TEXT = 8000
"""Longest question or conversation turn (characters)."""
FilterValue = str | int | float | bool
Filter = Annotated[dict[Annotated[str, Field(max_length=100)],
                        FilterValue | Annotated[list[FilterValue], Field(max_length=MAX_FILTER_VALUES)]],
                   Field(max_length=MAX_FILTER_KEYS)]
"""Metadata filter: each key must equal the value, or one of the values of a list."""
STRICT = ConfigDict(extra="forbid", allow_inf_nan=False)
"""Request bodies: unknown fields, NaN and infinities are refused."""


class CreateKnowledgeBase(BaseModel):
    """POST /v1/kbs."""

    model_config = STRICT

    name: str = Field(min_length=1, max_length=128)
    """Letters, digits, '_', '-' and '.'."""
    embedder: str | None = Field(None, max_length=200)
    """'all-MiniLM-L6-v2' (packaged), 'hashing[:DIM]' (model-free) or the server's configured one (default)."""


class KnowledgeBaseInfo(BaseModel):
    """A knowledge base's facts."""

    model_config = ConfigDict(extra="forbid")

    name: str
    """Its name (the model `kb:NAME` of the chat API)."""
    embedder: str
    """Embedder id recorded in the index."""
    embedder_sha256: str | None = None
    """Checksum of a fine-tuned embedder's files, as recorded in the manifest."""
    dimension: int
    """Vector dimension."""
    metric: str
    """Similarity metric."""
    factory: str
    """FAISS index type."""
    chunks: int
    """Chunks indexed."""
    generation: str
    """Saved version of the index; changes with every write."""
    settings: dict[str, Any]
    """Settings recorded when it was built (chunking, factory, embedder)."""
    sources: list[str]
    """Indexed sources, uploaded files by their name inside the knowledge base."""


class SourceInfo(BaseModel):
    """One indexed source."""

    model_config = ConfigDict(extra="forbid")

    source: str
    """The source as shown in citations; use it to delete the source."""
    chunks: int
    """Its chunks in the index."""


class Reindex(BaseModel):
    """POST /v1/kbs/{name}/reindex."""

    model_config = STRICT

    rebuild: bool = False
    """Build the index afresh (embeddings computed before are reused); otherwise only changed files are read."""


class Turn(BaseModel):
    """One earlier message of the conversation."""

    model_config = STRICT

    role: Literal["user", "assistant"]
    """Who said it."""
    content: str = Field(max_length=MAX_TEXT)
    """What was said."""


class AskRequest(BaseModel):
    """POST /v1/ask."""

    model_config = STRICT

    index: str = Field(min_length=1)
    """The knowledge base to answer from."""
    question: str = Field(min_length=1, max_length=MAX_TEXT)
    """The question."""
    history: list[Turn] | None = Field(None, max_length=50)
    """Earlier turns, oldest first; a follow-up is then rewritten into a standalone question (`rewritten`)."""
    k: int | None = Field(None, ge=1, le=100)
    """Passages given to the model (default 4)."""
    filter: Filter | None = None
    """Metadata filter, e.g. {"source": ["a.md"]} (sources as listed by /v1/kbs/{name}/sources)."""
    max_tokens: int | None = Field(None, ge=1, le=8192)
    """Most tokens to generate (default: the prompt file's)."""
    temperature: float | None = Field(None, ge=0, le=2)
    """Sampling temperature (default: the prompt file's)."""
    stream: bool = False
    """Stream server-sent events: `delta` events ({"text"}), then one `answer` event (the Answer)."""


ANSWER_JSON = TypeAdapter(Answer)
"""The answer body's (de)serializer: POST /v1/ask answers with the library's Answer itself (ragkit.answer)."""


def answer_out(answer: Answer, show: Show) -> Answer:
    """The answer as the API shows it: every field, its sources as clients see them, its prompt JSON-safe."""
    def shown(citations: list[Citation]) -> list[Citation]:
        return [replace(c, source=show(c.source)) for c in citations]

    return replace(answer, citations=shown(answer.citations), passages=shown(answer.passages),
                   prompt=jsonable_encoder(answer.prompt))


def answer_json(answer: Answer, show: Show) -> dict[str, Any]:
    """The answer's body as JSON-ready data (the `answer` event of a stream)."""
    return ANSWER_JSON.dump_python(answer_out(answer, show), mode="json")


def retrieval_settings(k: int | None, filter: Filter | None) -> RetrievalSettings | None:
    """RetrievalSettings from a request's fields (None: the defaults); invalid values are a 422 naming the field."""
    given = {key: value for key, value in (("k", k), ("filter", filter)) if value is not None}
    if not given:
        return None
    try:
        return RetrievalSettings(**given)
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None

