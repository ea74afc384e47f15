"""Embedding models (LangChain Embeddings) and the content-hash embedding cache."""

from ragkit.embeddings.base import VectorEmbeddings
from ragkit.embeddings.cache import EmbeddingCache
from ragkit.embeddings.e5 import MULTILINGUAL_MODEL, MultilingualE5Embeddings
from ragkit.embeddings.hashing import HashingEmbeddings
from ragkit.embeddings.sentence import SentenceTransformerEmbeddings, default_model_path
from ragkit.embeddings.spec import default_embedder_spec, from_spec

__all__ = [
    "MULTILINGUAL_MODEL",
    "EmbeddingCache",
    "HashingEmbeddings",
    "MultilingualE5Embeddings",
    "SentenceTransformerEmbeddings",
    "VectorEmbeddings",
    "default_embedder_spec",
    "default_model_path",
    "from_spec",
]
