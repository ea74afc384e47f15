"""Grounding guardrail: an answer its cited passage does not support is replaced by that passage's best sentence.

Support is lexical (share of the answer's content words found in the passage; Chinese segmented into words),
which is what extractive answers and faithful paraphrases have and hallucinations lack; it needs no model, so it
runs after every model's answer.
"""

from __future__ import annotations

import re

import numpy as np
from langchain_core.embeddings import Embeddings

from ragkit.text import CHINESE_STOPWORDS, is_han, sentences, words

__all__ = ["SUPPORT_THRESHOLD", "best_sentence", "content_words", "ground", "sentences", "support"]

SUPPORT_THRESHOLD = 0.75
"""Share of the answer's content words that must occur in the passage."""
_CITATION = re.compile(r"\s*\[\d+(?:\s*,\s*\d+)*\]")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_FUNCTION_WORDS = frozenset([
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "by", "with", "from", "and", "or", "but", "is", "are",
    "was", "were", "be", "been", "it", "its", "this", "that", "as", "which", "who", "what", "when", "where", "how",
    "why",
]) | CHINESE_STOPWORDS


def content_words(text: str) -> list[str]:
    """Lower-cased words (Chinese segmented) without citation markers and function words; a number keeps the
    one-character unit after it ('2019年', '3月'), so a wrong number is not outweighed by its right units."""
    found: list[str] = []
    for word in words(_CITATION.sub(" ", text)):
        if found and found[-1].isdigit() and len(word) == 1 and is_han(word):
            found[-1] += word
        elif word not in _FUNCTION_WORDS:
            found.append(word)
    return found


def support(answer: str, passage: str) -> float:
    """Share of the answer's content words that occur in the passage (1.0 for an answer with none), a Chinese
    word weighing its length in characters (a character carries about what an English word does); a Chinese
    word also counts when the passage contains it however it was segmented there. An answer stating a number
    the passage lacks has no support: a wrong date or quantity is the commonest unsupported claim."""
    answer_words = content_words(answer)
    if not answer_words:
        return 1.0
    if not set(_numbers(answer)) <= set(_numbers(passage)):
        return 0.0
    present = set(content_words(passage))
    weights = [len(w) if is_han(w) else 1 for w in answer_words]
    found = [w in present or (len(w) > 1 and is_han(w) and w in passage) for w in answer_words]
    return sum(weight for weight, ok in zip(weights, found) if ok) / sum(weights)


def _numbers(text: str) -> list[str]:
    """Numbers written in digits, without thousands separators or citation marks."""
    return _NUMBER.findall(_THOUSANDS.sub("", _CITATION.sub(" ", text)))


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
        found = set(content_words(sentence))
        return len(found & wanted_q) + len(found & wanted_a), -len(found)

    return max(candidates, key=score)


def ground(answer: str, passage: str, question: str = "", threshold: float = SUPPORT_THRESHOLD,
           embedder: Embeddings | None = None) -> tuple[str, bool]:
    """(text, extractive): the answer when the passage supports it, else the passage's best sentence and True."""
    if answer.strip() and support(answer, passage) >= threshold:
        return answer, False
    return best_sentence(passage, question, answer, embedder), True
