"""Retrievers (LangChain BaseRetriever) over ragkit stores."""

from ragkit.retrieval.dense import DenseRetriever

__all__ = ["DenseRetriever"]
