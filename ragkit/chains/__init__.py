"""Chains built from ragkit's retrievers, prompts and models."""

from ragkit.chains.rag import Answer, Citation, RagChain

__all__ = ["Answer", "Citation", "RagChain"]
