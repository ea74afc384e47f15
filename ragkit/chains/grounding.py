"""Grounding guardrail: an answer its cited passage does not support is replaced by that passage's best sentence.

Support is lexical (share of the answer's content words found in the passage), which is what extractive answers
and faithful paraphrases have and hallucinations lack; it needs no model, so it runs after every model's answer.
"""

from __future__ import annotations

import re

import numpy as np
from langchain_core.embeddings import Embeddings

from ragkit.text import sentences

SUPPORT_THRESHOLD = 0.75
"""Share of the answer's content words that must occur in the passage."""
_CITATION = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_WORD = re.compile(r"\w+")
_FUNCTION_WORDS = frozenset(
    "a an the of in on at to for by with from and or but is are was were be been it its this that as which who "
    "what when where how why".split()
)


def content_words(text: str) -> list[str]:
    """Lower-cased words without citation markers and common function words."""
    return [w for w in _WORD.findall(_CITATION.sub(" ", text).lower()) if w not in _FUNCTION_WORDS]


def support(answer: str, passage: str) -> float:
    """Share of the answer's content words that occur in the passage (1.0 for an answer with none)."""
    words = content_words(answer)
    if not words:
        return 1.0
    present = set(content_words(passage))
    return sum(w in present for w in words) / len(words)


def best_sentence(passage: str, question: str, answer: str = "", embedder: Embeddings | None = None) -> str:
    """The passage sentence closest to the question: by embedding similarity when an embedder is given, else by
    content words shared with the question and the answer."""
    candidates = [text.strip() for _, text in sentences(passage)] or [passage.strip()]
    if embedder is not None and question.strip():
        query = np.asarray(embedder.embed_query(question))
        vectors = np.asarray(embedder.embed_documents(candidates))
        norms = np.linalg.norm(vectors, axis=1) * (np.linalg.norm(query) or 1.0)
        return candidates[int(np.argmax(vectors @ query / np.where(norms == 0, 1.0, norms)))]
    wanted_q, wanted_a = set(content_words(question)), set(content_words(answer))

    def score(sentence: str) -> tuple[int, int]:
        words = set(content_words(sentence))
        return len(words & wanted_q) + len(words & wanted_a), -len(words)

    return max(candidates, key=score)


def ground(answer: str, passage: str, question: str = "", threshold: float = SUPPORT_THRESHOLD,
           embedder: Embeddings | None = None) -> tuple[str, bool]:
    """(text, extractive): the answer when the passage supports it, else the passage's best sentence and True."""
    if answer.strip() and support(answer, passage) >= threshold:
        return answer, False
    return best_sentence(passage, question, answer, embedder), True
