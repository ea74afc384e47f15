"""FAISS index, SQLite docstore and on-disk format; FaissVectorStore is the LangChain-facing store."""

from ragkit.store.faiss_index import FaissIndex, auto_factory
from ragkit.store.vectorstore import FaissVectorStore

__all__ = ["FaissIndex", "FaissVectorStore", "auto_factory"]
