"""Plain-text helpers shared by several layers (the RAG guardrail, fine-tuning data): sentence spans."""

from __future__ import annotations

import re

# A sentence ends at . ! or ? followed by space and an upper-case letter, digit or quote. Hand-written instead of
# an NLP sentence splitter: encyclopedic prose is regular enough, and it keeps the dependency list short.
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")


def sentences(text: str) -> list[tuple[int, str]]:
    """(start offset, sentence) pairs of a passage."""
    spans, start = [], 0
    for match in _SENTENCE_END.finditer(text):
        spans.append((start, text[start:match.start()]))
        start = match.end()
    spans.append((start, text[start:]))
    return [(s, t) for s, t in spans if t.strip()]
