"""Refusal checks in one place: when a knowledge base gives the no-answer reply rather than the model's, and why.

Before the model, on what retrieval found (the coverage and relevance HybridRetriever.scores stamps): nothing
close enough to the question, too little of its terms covered, too little relevance, a name no passage mentions.
After it: the guardrail rejected the reply and no passage sentence states what was asked, so quoting one would
present an unrelated fact as the answer. Every refusal says why (Answer.warnings) and keeps the passages it
looked at (Answer.passages).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from langchain_core.documents import Document

from ragkit.chains.grounding import NAMES_RELEVANCE, answers_question, missing_names
from ragkit.settings import RefusalSettings

NOTHING_RETRIEVED = "no passage is close enough to the question (none passed the retriever's relevance threshold)"
"""Why a question with no retrieved passage is refused."""


@dataclass(frozen=True)
class RefusalPolicy:
    """The refusal checks with the thresholds in force for one knowledge base and question language."""

    min_coverage: float | None = None
    """Least share of the question's terms (by rarity) in the passages (their metadata['coverage']); None: off."""
    min_relevance: float | None = None
    """Least relevance (metadata['relevance']: best cosine + 0.6 x best sentence coverage); None: off."""
    require_names: bool = False
    """Refuse a question naming what no passage mentions (ragkit.chains.grounding.missing_names)."""
    names_relevance: float | None = NAMES_RELEVANCE
    """A missing name refuses only below this relevance (0 where unstamped); None: whatever the relevance."""
    slips: bool = True
    """A misspelt name matches the passage word it misspells (ragkit.text.slip_of)."""
    unanswered_quote: bool = False
    """Quote the best passage sentence even when it does not state what was asked (else: the no-answer reply)."""

    @classmethod
    def of(cls, settings: RefusalSettings, calibrated: float | None, same_language: bool,
           english: bool) -> RefusalPolicy:
        """The policy of `settings` for a question: `calibrated` is the embedder's least relevance; the lexical
        checks need the question in the corpus' language, the name check an English question and corpus."""
        return cls(min_coverage=settings.min_coverage if same_language else None,
                   min_relevance=settings.relevance(calibrated) if same_language else None,
                   require_names=settings.require_names and same_language and english,
                   names_relevance=settings.names_relevance, slips=settings.spelling_slips,
                   unanswered_quote=settings.unanswered_quote)

    def before_model(self, question: str, docs: Sequence[Document]) -> str:
        """Why the question is refused on what retrieval found ('' when it is not). Coverage and relevance are
        checked where the retriever stamped them (HybridRetriever.scores)."""
        if not docs:
            return NOTHING_RETRIEVED
        coverage = _least(docs, "coverage")
        if self.min_coverage is not None and coverage is not None and coverage < self.min_coverage:
            return (f"the passages hold {coverage:.0%} of the question's terms (by rarity), under the "
                    f"{self.min_coverage:.0%} required")
        relevance = _least(docs, "relevance")
        if self.min_relevance is not None and relevance is not None and relevance < self.min_relevance:
            return (f"the question's relevance to the passages is {relevance:.2f} (best cosine + 0.6 x the share of "
                    f"its terms in one place), under {self.min_relevance:.2f}")
        if self.require_names and (self.names_relevance is None or (relevance or 0.0) < self.names_relevance):
            missing = missing_names(question, [d.page_content for d in docs], self.slips)
            if missing:
                return f"the question names {', '.join(missing)}, which no retrieved passage mentions"
        return ""

    def after_guardrail(self, question: str, quote: str, because: str) -> str:
        """Why the guardrail's quote is refused ('' to answer with it): it replaced a reply (`because`) by a
        passage sentence that does not state what was asked (ragkit.chains.grounding.answers_question)."""
        if self.unanswered_quote or answers_question(question, quote):
            return ""
        return f"the reply was not supported ({because}) and no passage sentence states what was asked"


def _least(docs: Sequence[Document], key: str) -> float | None:
    """The lowest value of a stamped score over the documents; None where none carries it."""
    values = [float(d.metadata[key]) for d in docs if key in d.metadata]
    return min(values) if values else None
