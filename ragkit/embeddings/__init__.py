"""Embedding models (LangChain Embeddings) and the content-hash embedding cache."""

from ragkit.embeddings.base import VectorEmbeddings
from ragkit.embeddings.cache import EmbeddingCache
from ragkit.embeddings.hashing import HashingEmbeddings
from ragkit.embeddings.sentence import SentenceTransformerEmbeddings, default_model_path
from ragkit.embeddings.spec import from_spec

__all__ = [
    "EmbeddingCache",
    "HashingEmbeddings",
    "SentenceTransformerEmbeddings",
    "VectorEmbeddings",
    "default_model_path",
    "from_spec",
]
