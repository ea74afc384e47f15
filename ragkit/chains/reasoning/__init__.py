"""Reasoning techniques as LCEL runnables over prompts from the prompt repository: chain-of-thought,
self-consistency, least-to-most, selection-inference and Tree-of-Thoughts (prompt chain and beam search)."""

from ragkit.chains.reasoning.cot import CoTResult, FewShotCoT, ZeroShotCoT
from ragkit.chains.reasoning.engine import CallRecord, PromptRef, ReasoningChain, ReasoningResult
from ragkit.chains.reasoning.least_to_most import LeastToMost, LeastToMostResult, SubAnswer
from ragkit.chains.reasoning.selection_inference import (
    InferenceStep,
    SelectionInference,
    SelectionInferenceResult,
)
from ragkit.chains.reasoning.self_consistency import SelfConsistency, SelfConsistencyResult
from ragkit.chains.reasoning.tot_chain import Solution, ToTChainResult, TreeOfThoughtChain
from ragkit.chains.reasoning.tot_search import ThoughtNode, TreeOfThoughtSearch, TreeSearchResult

__all__ = [
    "CallRecord",
    "CoTResult",
    "FewShotCoT",
    "InferenceStep",
    "LeastToMost",
    "LeastToMostResult",
    "PromptRef",
    "ReasoningChain",
    "ReasoningResult",
    "SelectionInference",
    "SelectionInferenceResult",
    "SelfConsistency",
    "SelfConsistencyResult",
    "Solution",
    "SubAnswer",
    "ThoughtNode",
    "ToTChainResult",
    "TreeOfThoughtChain",
    "TreeOfThoughtSearch",
    "TreeSearchResult",
    "ZeroShotCoT",
]
