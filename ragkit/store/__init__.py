"""Vector index (FAISS, or another registered ANN backend), SQLite docstore and on-disk format; FaissVectorStore is
the LangChain-facing store."""

from ragkit.store.ann import AnnIndex, register_ann_backend
from ragkit.store.faiss_index import FaissIndex, auto_factory
from ragkit.store.vectorstore import FaissVectorStore

__all__ = ["AnnIndex", "FaissIndex", "FaissVectorStore", "auto_factory", "register_ann_backend"]
