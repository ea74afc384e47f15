"""Citations: passages numbered for the prompt, the [n] marks of a reply read back into the passages they cite,
a mark added or rewritten, and the warning for a reply no cited passage supports."""

from __future__ import annotations

import re
from dataclasses import replace

from ragkit.answer import Citation, says_not_found
from ragkit.chains.grounding import support, threshold_for
from ragkit.text import words

_CITE = re.compile(r"\[(\d+(?:\s*,\s*\d+)*)\]")
_MARKER = re.compile(r"<(/?\s*document)", re.IGNORECASE)
_MARKER_TAG = re.compile(r"</?\s*document\s*>", re.IGNORECASE)
_PASTED_HEADER = re.compile(r"\[(\d+)\]\s*\([^()\s]*[/.][^()\s]*\)\s*")  # "[2] (docs/a.md) ": a source path
_CITATION_ONLY = re.compile(r"\[\d+(?:\s*,\s*\d+)*\]")


def format_passages(passages: list[Citation], delimited: bool = True) -> str:
    """Numbered passages for the prompt, each with its file name, its text between <document> markers so the model
    can tell quoted data from instructions (markers inside the text are defused so it cannot close them); or,
    not delimited, "[n] (name) text" as fine-tuned adapters saw in training. The name, not the path: a server's
    directories are nothing the model needs (and nothing it should repeat), and cost ~12 prompt tokens a passage."""
    if not delimited:
        return "\n\n".join(f"[{p.n}] ({_name(p.source)}) {p.text}" for p in passages)
    return "\n\n".join(f"[{p.n}] ({_name(p.source)})\n<document>\n{_defused(p.text)}\n</document>"
                       for p in passages)


def _name(source: str) -> str:
    return source.rstrip("/").rsplit("/", 1)[-1] or source


def _defused(text: str) -> str:
    return _MARKER.sub("‹\\1", text)


def cite(answer: str, passages: list[Citation]) -> list[Citation]:
    """Passages cited as [n] in the answer; if none are, the passage sharing most words with it (marked inferred)."""
    if not answer or says_not_found(answer):
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
    wanted = set(words(answer))
    best = max(passages, key=lambda p: (len(wanted & set(words(p.text))), p.score))
    return [replace(best, inferred=True)]


def unsupported_citations(text: str, citations: list[Citation]) -> list[str]:
    """A warning when an answer (not the no-answer reply) cites no passage, or none that supports it."""
    if not text or says_not_found(text):
        return []
    if not citations:
        return ["no passage supports the answer: it cites none"]
    if support(text, "\n".join(c.text for c in citations)) < threshold_for(text):
        return [f"no passage supports the answer: {', '.join(f'[{c.n}]' for c in citations)} only partly does"]
    return []


def with_mark(text: str, n: int) -> str:
    """The text citing passage n: its [n] marks rewritten to [n], or one added before the final full stop."""
    if _CITE.search(text):
        return _CITE.sub(f"[{n}]", text)
    if text.endswith("."):
        return f"{text[:-1]} [{n}]."
    return f"{text} [{n}]" if not text.endswith(("。", "！", "？")) else f"{text}[{n}]"


def clean_reply(reply: str) -> str:
    """The model's reply without what it copied from the prompt's layout: passage headers "[n] (source)" and
    document markers; a reply of nothing but citation marks ("[3]") becomes empty, so the guardrail answers."""
    text = _PASTED_HEADER.sub(r"[\1] ", _MARKER_TAG.sub(" ", reply))
    text = re.sub(r"[ \t]{2,}", " ", text).strip()
    return "" if not _CITATION_ONLY.sub("", text).strip(" .。,，;；:：") else text
