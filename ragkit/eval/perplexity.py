"""Perplexity of a text under a model: exp of the mean negative log-likelihood per token, over sliding windows.

A text longer than the model's window is scored in windows that overlap by `window - stride` tokens (the strided
evaluation of Hugging Face's perplexity guide): each window starts with the model's start token, and only the
tokens no earlier window scored count, so every token is scored once with at least `window - stride` tokens of
context once the first window is past. A smaller stride gives more context per token and costs more windows.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ragkit.errors import InvalidInputError
from ragkit.models.logprobs import TokenScorer


@dataclass(frozen=True)
class Perplexity:
    """What one text scored under one model."""

    model: str
    tokens: int
    """Tokens scored: all of the text's when the model has a start token, all but the first otherwise."""
    windows: int
    window: int
    """Tokens per window, the start token included."""
    stride: int
    nll: float
    """Mean negative log-likelihood per scored token, in nats."""
    perplexity: float
    """exp(nll)."""
    seconds: float


def windows(n_tokens: int, width: int, stride: int) -> list[tuple[int, int, int]]:
    """(begin, end, scored) of each window over n_tokens text tokens, `width` at most per window, starting every
    `stride` tokens until one reaches the end; `scored` counts the window's last tokens no earlier window scored."""
    if not 0 < stride <= width:
        raise InvalidInputError(f"the stride must be between 1 and the window's {width} text tokens, not {stride}")
    spans, scored_until, begin = [], 0, 0
    while True:
        end = min(begin + width, n_tokens)
        spans.append((begin, end, end - scored_until))
        scored_until = end
        if end == n_tokens:
            return spans
        begin += stride


def perplexity(scorer: TokenScorer, text: str, stride: int | None = None,
               progress: Callable[[int, int], None] | None = None) -> Perplexity:
    """Perplexity of the text under the scorer's model; `stride` defaults to half the window; progress(done, total)
    is called after each window."""
    started = time.perf_counter()
    tokens = scorer.tokenize(text)
    width = scorer.context - len(scorer.start)
    stride = stride or max(1, width // 2)
    spans = windows(len(tokens), width, stride)
    if not scorer.start:  # nothing predicts the first token
        begin, end, scored = spans[0]
        spans[0] = (begin, end, scored - 1)
    if sum(scored for _, _, scored in spans) < 1:
        raise InvalidInputError("the text has too few tokens to score")
    total = 0.0
    for done, (begin, end, scored) in enumerate(spans, start=1):
        total -= float(scorer.logprobs(tokens[begin:end], scored).sum())
        if progress:
            progress(done, len(spans))
    count = sum(scored for _, _, scored in spans)
    return Perplexity(scorer.name, count, len(spans), scorer.context, stride, total / count,
                      math.exp(total / count), time.perf_counter() - started)


def read_text(path: Path) -> str:
    """A UTF-8 text file's content; a missing, unreadable or empty (blank) file is the user's to fix."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInputError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"{path}: cannot read it as UTF-8 text: {exc}") from None
    if not text.strip():
        raise InvalidInputError(f"{path} is empty: nothing to score")
    return text
