"""A context budget in tokens: the retrieved passages cut to the sentences that match the question.

Prefill dominates a CPU answer (80% of it with Qwen 1.5B here), and a 100-token chunk usually holds one sentence
the question is about among four or five it is not. The budget keeps, across the passages, the sentences sharing
most of the question's words (the retrieval rank breaking ties) and then their neighbours, the next sentence
first, until the budget is spent; passages left with nothing are dropped, the rest renumbered in rank order, so
the model reads fewer tokens and fewer distractors. Hand-written: LangChain's document compressors
(EmbeddingsFilter, LLMChainExtractor) filter whole documents or call a model, neither cuts to a token budget.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from ragkit.answer import Citation
from ragkit.chains.grounding import support
from ragkit.text import sentences, words

GAP = " … "
"""What stands where sentences of a passage were left out."""


@dataclass(frozen=True)
class _Sentence:
    passage: int
    position: int
    start: int
    end: int
    tokens: int
    score: float


def word_count(text: str) -> int:
    """A tokenizer-free token estimate: words, Chinese segmented (when no embedder's tokenizer is at hand)."""
    return len(words(text))


def fit(question: str, passages: Sequence[Citation], budget: int | None,
        count: Callable[[str], int] = word_count) -> list[Citation]:
    """The passages within `budget` tokens (`count`): whole when they fit, else cut to the sentences matching the
    question and their neighbours, passages left empty dropped, renumbered 1.. in rank order. The best-matching
    sentence is kept even when it alone is over the budget, so the model is never left without context."""
    if budget is None or sum(count(p.text) for p in passages) <= budget:
        return list(passages)
    units = [[_Sentence(i, j, start, start + len(text), count(text), support(question, text))
              for j, (start, text) in enumerate(sentences(p.text))] for i, p in enumerate(passages)]
    ranked = sorted((s for group in units for s in group), key=lambda s: (-s.score, s.passage, s.position))
    chosen: set[tuple[int, int]] = set()
    spent = 0

    def take(sentence: _Sentence) -> bool:
        """Choose the sentence if it fits (the first one always); whether it is chosen."""
        nonlocal spent
        if (sentence.passage, sentence.position) in chosen:
            return True
        if chosen and spent + sentence.tokens > budget:
            return False
        chosen.add((sentence.passage, sentence.position))
        spent += sentence.tokens
        return True

    for sentence in ranked:
        if sentence.score > 0:
            take(sentence)
    for sentence in ranked:  # neighbours of what matched, the next sentence first
        group = units[sentence.passage]
        if (sentence.passage, sentence.position) in chosen:
            for position in (sentence.position + 1, sentence.position - 1):
                if 0 <= position < len(group):
                    take(group[position])
    for sentence in (s for group in units for s in group):  # then the passages in rank order, while they fit
        if not take(sentence):
            break
    return _renumbered(passages, units, chosen)


def _renumbered(passages: Sequence[Citation], units: list[list[_Sentence]],
                chosen: set[tuple[int, int]]) -> list[Citation]:
    """Each passage's chosen sentences, runs of neighbours as the original text, gaps marked; empty ones dropped."""
    kept: list[Citation] = []
    for passage, group in zip(passages, units):
        runs: list[list[_Sentence]] = []
        for sentence in group:
            if (sentence.passage, sentence.position) not in chosen:
                continue
            if runs and runs[-1][-1].position == sentence.position - 1:
                runs[-1].append(sentence)
            else:
                runs.append([sentence])
        if runs:
            text = GAP.join(passage.text[run[0].start : run[-1].end].strip() for run in runs)
            kept.append(replace(passage, n=len(kept) + 1, text=text))
    return kept
