"""Reasoning techniques as LCEL runnables over prompts from the prompt repository: direct answering,
chain-of-thought, self-consistency, program-aided reasoning (run in a bounded safe evaluator), least-to-most,
selection-inference and Tree-of-Thoughts (prompt chain and beam search; on Game of 24 with an exact checker)."""

from ragkit.chains.reasoning.cot import CoTResult, Direct, FewShotCoT, ZeroShotCoT
from ragkit.chains.reasoning.engine import CallRecord, PromptRef, ReasoningChain, ReasoningResult
from ragkit.chains.reasoning.least_to_most import LeastToMost, LeastToMostResult, SubAnswer
from ragkit.chains.reasoning.program import ProgramAided, ProgramResult, ProgramRun
from ragkit.chains.reasoning.safe_eval import Limits, ProgramOutcome, run_program
from ragkit.chains.reasoning.selection_inference import (
    InferenceStep,
    SelectionInference,
    SelectionInferenceResult,
)
from ragkit.chains.reasoning.self_consistency import SampledChain, SelfConsistency, SelfConsistencyResult
from ragkit.chains.reasoning.tot_chain import Solution, ToTChainResult, TreeOfThoughtChain
from ragkit.chains.reasoning.tot_game24 import Game24Search
from ragkit.chains.reasoning.tot_search import ThoughtNode, ThoughtRefused, TreeOfThoughtSearch, TreeSearchResult

__all__ = [
    "CallRecord",
    "CoTResult",
    "Direct",
    "FewShotCoT",
    "Game24Search",
    "InferenceStep",
    "LeastToMost",
    "LeastToMostResult",
    "Limits",
    "ProgramAided",
    "ProgramOutcome",
    "ProgramResult",
    "ProgramRun",
    "PromptRef",
    "ReasoningChain",
    "ReasoningResult",
    "SampledChain",
    "SelectionInference",
    "SelectionInferenceResult",
    "SelfConsistency",
    "SelfConsistencyResult",
    "Solution",
    "SubAnswer",
    "ThoughtNode",
    "ThoughtRefused",
    "ToTChainResult",
    "TreeOfThoughtChain",
    "TreeOfThoughtSearch",
    "TreeSearchResult",
    "ZeroShotCoT",
    "run_program",
]
