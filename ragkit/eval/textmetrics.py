"""ROUGE-L and BLEU of free-text answers against reference answers, in English and Chinese.

ROUGE-L is rouge-score's (LCS F-measure, best reference) with a tokenizer that keeps Chinese: rouge-score's own
drops every character outside a-z0-9, so a Chinese answer would score 0 against anything. Han characters are one
token each (as sacrebleu's 'zh' BLEU counts them, and independent of a word segmenter's version); the text between
them is tokenized exactly as rouge-score does (lower case, runs of a-z0-9, no stemming). BLEU is sacrebleu's, with
tokenize='13a' for English and 'zh' (Han characters apart, 13a for the rest) when any text is Chinese or mixed.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

from ragkit.errors import InvalidInputError
from ragkit.text import HAN, detect_language

_HAN_OR_OTHER = re.compile(f"(?P<han>[{HAN}])|[^{HAN}]+")


def rouge_tokens(text: str) -> list[str]:
    """Tokens ROUGE-L compares (after NFKC, so full-width digits and letters count): each Han character alone,
    other text as rouge-score's default tokenizer splits it."""
    from rouge_score import tokenize

    tokens: list[str] = []
    for match in _HAN_OR_OTHER.finditer(unicodedata.normalize("NFKC", text)):
        tokens.extend([match.group()] if match.group("han") else tokenize.tokenize(match.group(), None))
    return tokens


class _RougeTokenizer:
    """rouge-score's tokenizer interface (an object with `tokenize`) over rouge_tokens."""

    def tokenize(self, text: str) -> list[str]:
        return rouge_tokens(text)


@functools.cache
def _rouge_scorer() -> Any:
    from rouge_score import rouge_scorer

    return rouge_scorer.RougeScorer(["rougeL"], tokenizer=_RougeTokenizer())


def bleu_tokenizer(texts: Sequence[str]) -> str:
    """sacrebleu's tokenizer for a set of texts: '13a' when ragkit detects English, else 'zh'."""
    return "13a" if detect_language(texts) == "en" else "zh"


def rouge_l(prediction: str, references: Sequence[str]) -> float:
    """ROUGE-L F-measure of a prediction against its best reference (0.0 when either has no token)."""
    return float(_rouge_scorer().score_multi(list(references), prediction)["rougeL"].fmeasure)


def sentence_bleu(prediction: str, references: Sequence[str], tokenize: str | None = None) -> float:
    """sacrebleu's sentence BLEU (0-100, exp smoothing, effective order) against all references at once."""
    from sacrebleu.metrics import BLEU

    tokenize = tokenize or bleu_tokenizer([prediction, *references])
    return float(BLEU(tokenize=tokenize, effective_order=True).sentence_score(prediction, list(references)).score)


def text_scores(predictions: Sequence[str], references: Sequence[Sequence[str]]) -> dict[str, float]:
    """{"rouge_l": mean ROUGE-L F-measure (0-1), "bleu": corpus BLEU (0-100)} of predictions against their references.

    `references[i]` holds one or more reference texts of `predictions[i]`; the count may differ between items.
    BLEU is one corpus score (n-gram counts summed over all items, as sacrebleu's corpus_bleu), not a mean of
    sentence scores; its tokenizer is chosen once for all texts (see bleu_tokenizer).
    """
    from sacrebleu.metrics import BLEU

    if len(predictions) != len(references):
        raise InvalidInputError(f"{len(predictions)} predictions but {len(references)} reference lists")
    if not predictions:
        raise InvalidInputError("no predictions to score")
    if not all(refs for refs in references):
        raise InvalidInputError("every prediction needs at least one reference")
    rouge = sum(rouge_l(p, refs) for p, refs in zip(predictions, references)) / len(predictions)
    # sacrebleu takes reference streams (the j-th reference of every item); None marks an item with fewer (its
    # code drops None references, though its type hints say str).
    most = max(len(refs) for refs in references)
    streams = [[refs[j] if j < len(refs) else None for refs in references] for j in range(most)]
    tokenize = bleu_tokenizer([*predictions, *(r for refs in references for r in refs)])
    bleu = BLEU(tokenize=tokenize).corpus_score(list(predictions), streams).score  # type: ignore[arg-type]
    return {"rouge_l": rouge, "bleu": float(bleu)}
