"""The answer contract: what every face (library, CLI, app, HTTP API) gets back from asking a knowledge base.

An `Answer` with its `Citation`s, the `TextDelta`s streamed before it, and the no-answer reply in the question's
language. Plain dataclasses without LangChain, so the answer cache, the answer log, the server's body and user code
depend on this module only, not on the chain that produces it (ragkit.chains.rag). The HTTP API's body is these
classes themselves (pydantic reads their fields, and their docstrings as the OpenAPI descriptions), so it carries
every field: document a new one here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import ConfigDict, with_config

from ragkit.text import reply_language

NOT_FOUND = "The documents do not say."
NOT_FOUND_ZH = "文档中没有相关信息。"
_DOCUMENTED = ConfigDict(use_attribute_docstrings=True)
"""How pydantic (the HTTP API's body and its OpenAPI schema) reads these classes: field docstrings are descriptions."""


@with_config(_DOCUMENTED)
@dataclass(frozen=True)
class Citation:
    """A passage the answer relies on."""

    n: int
    """Its number, as cited [n] in the answer's text."""
    source: str
    """The source file (the HTTP API shows uploaded ones by their name inside the knowledge base)."""
    page: int
    """Page (1 for formats without pages); sheet or slide number for spreadsheets and slides."""
    start: int
    """Character offset where the passage starts in its page."""
    end: int
    """Character offset where it ends."""
    chunk_id: str
    """The chunk's id in the index."""
    score: float
    """Retrieval score."""
    text: str
    """The passage."""
    inferred: bool = False
    """True when the model cited nothing and the citation was attributed by word overlap with the answer."""
    where: str = ""
    """How the part of the file is named ("sheet Budget", "slide 3", "page 2"); empty: page number only."""

    def label(self) -> str:
        where = self.where or f"page {self.page}"
        return f"[{self.n}] {self.source} ({where}, chars {self.start}-{self.end}, score {self.score:.2f})"


@with_config(_DOCUMENTED)
@dataclass
class Answer:
    """An answer with its citations, the model and prompt that produced it, and where the time went."""

    question: str
    """The question answered, as asked."""
    text: str
    """The answer, citing passages as [n]."""
    citations: list[Citation]
    """The passages cited."""
    passages: list[Citation]
    """Every passage retrieved and given to the model (or, refused, what retrieval found)."""
    model: str
    """The answering model."""
    prompt: dict[str, Any]
    """Prompt provenance: id, version, sha256 of the prompt file, model parameters."""
    timings: dict[str, float] = field(default_factory=dict)
    """Where the time went (retrieve_s, first_token_s, generate_s, total_s, ...) and token counts."""
    found: bool = True
    """False when the model was not called: retrieval found nothing relevant enough, or a check refused the
    question (`warnings` says why; `passages` then holds what retrieval found)."""
    extractive: bool = False
    """True when the model's reply stated what no passage says and was replaced by the passage sentence that
    answers the question (the grounding guardrail; `replaced_because` says why); `generated` keeps the reply."""
    generated: str = ""
    """The model's reply as generated, before the guardrail."""
    warnings: list[str] = field(default_factory=list)
    """Instruction-like text removed from passages before the model saw them (prompt injection), one per passage:
    'passage [n] (source): removed "..."'; 'no passage supports the answer: ...' when the cited passages do
    not back the answer (the guardrail off, or facts spread over passages); and why a retrieved question was
    refused ('the question names X, which no retrieved passage mentions')."""
    cached: bool = False
    """True when the answer came from the answer cache (the same question on the same index version, model, prompt
    and settings was answered before); `timings` are then the lookup's."""
    event_id: str = ""
    """The id of this answer's event in the index's answer log (ragkit.answerlog), to attach feedback to; empty when
    the answer was not logged."""
    rewritten: str = ""
    """The standalone question the follow-up `question` was rewritten into from the history (retrieved for and
    answered); empty when there was no history."""
    replaced_because: str = ""
    """Why the guardrail replaced the reply ('the number 1862 is in no passage', 'an empty reply', ...); empty
    when it was kept."""


@dataclass(frozen=True)
class TextDelta:
    """A piece of the model's reply, streamed before the Answer."""

    text: str

    def __add__(self, other: TextDelta | Answer) -> TextDelta | Answer:
        return TextDelta(self.text + other.text) if isinstance(other, TextDelta) else other


RagEvent = TextDelta | Answer
"""What RagChain.stream yields: deltas, then exactly one Answer, last."""


def guardrail_note(question: str) -> str:
    """What precedes the guardrail's quote, in the question's language."""
    if reply_language(question) == "zh":
        return "文档不支持模型的回答，以下是最相关的原文："
    return "not supported by the cited passage; quoting it instead:"


def not_found(question: str) -> str:
    """The no-answer reply, in the question's language."""
    return NOT_FOUND_ZH if reply_language(question) == "zh" else NOT_FOUND


def says_not_found(answer: str) -> bool:
    """Whether a reply is the no-answer reply (in either language), as the model or the chain wrote it."""
    return NOT_FOUND.lower().rstrip(".") in answer.lower() or NOT_FOUND_ZH.rstrip("。") in answer
