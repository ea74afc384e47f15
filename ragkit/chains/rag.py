"""Retrieval-augmented answering with [n] citations mapped back to source, page and character span."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.language_models import BaseChatModel
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import BasePromptTemplate
from langchain_core.retrievers import BaseRetriever
from langchain_core.runnables import Runnable, RunnableLambda

from ragkit.chains.grounding import SUPPORT_THRESHOLD, best_sentence, support
from ragkit.prompts import load as load_prompt

NOT_FOUND = "The documents do not say."
_CITE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Citation:
    """A passage the answer relies on."""

    n: int
    source: str
    page: int
    start: int
    end: int
    chunk_id: str
    score: float
    text: str
    inferred: bool = False
    """True when the model cited nothing and the citation was attributed by word overlap with the answer."""

    def label(self) -> str:
        return f"[{self.n}] {self.source} (page {self.page}, chars {self.start}-{self.end}, score {self.score:.2f})"


@dataclass
class Answer:
    """An answer with its citations, the model and prompt that produced it, and where the time went."""

    question: str
    text: str
    citations: list[Citation]
    passages: list[Citation]
    model: str
    prompt: dict[str, Any]
    timings: dict[str, float] = field(default_factory=dict)
    found: bool = True
    """False when retrieval found nothing relevant enough and the model was not called."""
    extractive: bool = False
    """True when the model's reply was not supported by its cited passage and was replaced by that passage's
    best-matching sentence (the grounding guardrail); `generated` keeps the model's reply."""
    generated: str = ""
    """The model's reply as generated, before the guardrail."""


class RagChain:
    """retrieve -> fill the answer prompt (from prompts/) -> generate -> map [n] citations to sources."""

    def __init__(self, retriever: BaseRetriever, llm: BaseChatModel, prompt: BasePromptTemplate | None = None,
                 embedder: Embeddings | None = None, grounding: bool = True):
        self.retriever = retriever
        self.llm = llm
        self.embedder = embedder
        self.grounding = grounding
        self.prompt = prompt or load_prompt("rag-answer")
        self._generate: Runnable = self.prompt | llm | StrOutputParser()

    def invoke(self, question: str) -> Answer:
        """Answer a question in one call."""
        answer = None
        for item in self.stream(question):
            if isinstance(item, Answer):
                answer = item
        assert answer is not None
        return answer

    def as_runnable(self) -> Runnable[str, Answer]:
        """The chain as an LCEL Runnable (question in, Answer out)."""
        return RunnableLambda(self.invoke, name="ragkit_rag")

    def stream(self, question: str) -> Iterator[str | Answer]:
        """Yield answer text as it is generated, then the finished Answer."""
        question = question.strip()
        if not question:
            raise ValueError("the question is empty")
        started = time.perf_counter()
        passages = self.retrieve(question)
        retrieved = time.perf_counter()
        timings = {"retrieve_s": retrieved - started}
        if not passages:
            yield NOT_FOUND
            timings["total_s"] = time.perf_counter() - started
            yield Answer(question, NOT_FOUND, [], [], "none (no relevant passages)", self._prompt_meta(), timings,
                         found=False)
            return
        parts: list[str] = []
        first_token = None
        for piece in self._generate.stream({"context": format_passages(passages), "question": question}):
            if first_token is None:
                first_token = time.perf_counter()
            parts.append(piece)
            yield piece
        generated = "".join(parts).strip()
        text, citations, extractive = self._grounded(question, generated, passages)
        finished = time.perf_counter()
        timings.update(first_token_s=(first_token or finished) - retrieved, generate_s=finished - retrieved,
                       total_s=finished - started)
        model = getattr(self.llm, "model_name", None) or type(self.llm).__name__
        yield Answer(question, text, citations, passages, model, self._prompt_meta(), timings,
                     extractive=extractive, generated=generated)

    def _grounded(self, question: str, text: str, passages: list[Citation]) -> tuple[str, list[Citation], bool]:
        """The guardrail: keep a reply its cited passages support, else quote the best sentence of the first one."""
        cited = cite(text, passages)
        if not self.grounding or _says_not_found(text) or (
                text and support(text, "\n".join(c.text for c in cited)) >= SUPPORT_THRESHOLD):
            return text, cited, False
        source = (cited or passages)[0]
        sentence = best_sentence(source.text, question, text, self.embedder)
        return f"{sentence} [{source.n}]", [source], True

    def retrieve(self, question: str) -> list[Citation]:
        """The numbered passages a question would be answered from."""
        return [_citation(n, doc) for n, doc in enumerate(self.retriever.invoke(question), start=1)]

    def _prompt_meta(self) -> dict[str, Any]:
        return dict(self.prompt.metadata or {})


def format_passages(passages: list[Citation]) -> str:
    """Numbered passages for the prompt, each with its source so the model can tell them apart."""
    return "\n\n".join(f"[{p.n}] ({p.source}) {p.text}" for p in passages)


def cite(answer: str, passages: list[Citation]) -> list[Citation]:
    """Passages cited as [n] in the answer; if none are, the passage sharing most words with it (marked inferred)."""
    if not answer or _says_not_found(answer):
        return []
    by_number = {p.n: p for p in passages}
    cited: list[Citation] = []
    for group in _CITE.findall(answer):
        for number in group.split(","):
            passage = by_number.get(int(number))
            if passage and passage not in cited:
                cited.append(passage)
    if cited or not passages:
        return cited
    words = set(_WORD.findall(answer.lower()))
    best = max(passages, key=lambda p: (len(words & set(_WORD.findall(p.text.lower()))), p.score))
    return [Citation(**{**best.__dict__, "inferred": True})]


def _says_not_found(answer: str) -> bool:
    return NOT_FOUND.lower().rstrip(".") in answer.lower()


def _citation(n: int, doc: Document) -> Citation:
    meta = doc.metadata
    return Citation(n, str(meta.get("source", "?")), int(meta.get("page", 1)), int(meta.get("start", 0)),
                    int(meta.get("end", len(doc.page_content))), doc.id or "", float(meta.get("score", 0.0)),
                    doc.page_content)
