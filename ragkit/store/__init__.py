"""Vector index (FAISS, or another registered ANN backend), SQLite docstore and on-disk format; AnnVectorStore is
the LangChain-facing store."""

from ragkit.store.ann import AnnIndex, register_ann_backend
from ragkit.store.faiss_index import FaissIndex, auto_factory
from ragkit.store.vectorstore import AnnVectorStore

__all__ = ["AnnIndex", "FaissIndex", "AnnVectorStore", "auto_factory", "register_ann_backend"]
