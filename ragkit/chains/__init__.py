"""Chains built from ragkit's retrievers, prompts and models."""

from ragkit.chains.rag import RagChain
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
    "FewShotCoT",
    "LeastToMost",
    "RagChain",
    "ReasoningResult",
    "SelectionInference",
    "SelfConsistency",
    "TreeOfThoughtChain",
    "TreeOfThoughtSearch",
    "ZeroShotCoT",
]
