"""Retrievers (LangChain BaseRetriever) over ragkit stores."""

from ragkit.retrieval.bm25 import BM25Index, BM25Retriever, build_bm25, load_bm25, save_bm25
from ragkit.retrieval.dense import DenseRetriever
from ragkit.retrieval.hybrid import DEFAULT_FUSION, HybridRetriever, fuse, hybrid_retriever
from ragkit.retrieval.rerank import CrossEncoderReranker, RerankingRetriever

__all__ = [
    "DEFAULT_FUSION",
    "BM25Index",
    "BM25Retriever",
    "CrossEncoderReranker",
    "DenseRetriever",
    "HybridRetriever",
    "RerankingRetriever",
    "build_bm25",
    "fuse",
    "hybrid_retriever",
    "load_bm25",
    "save_bm25",
]
