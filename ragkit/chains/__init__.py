"""Chains built from ragkit's retrievers, prompts and models."""

from ragkit.chains.rag import Answer, Citation, RagChain, RagEvent, TextDelta
from ragkit.chains.reasoning import (
    FewShotCoT,
    LeastToMost,
    ReasoningResult,
    SelectionInference,
    SelfConsistency,
    TreeOfThoughtChain,
    TreeOfThoughtSearch,
    ZeroShotCoT,
)

__all__ = [
    "Answer",
    "Citation",
    "FewShotCoT",
    "LeastToMost",
    "RagChain",
    "RagEvent",
    "TextDelta",
    "ReasoningResult",
    "SelectionInference",
    "SelfConsistency",
    "TreeOfThoughtChain",
    "TreeOfThoughtSearch",
    "ZeroShotCoT",
]
