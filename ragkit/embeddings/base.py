"""The embedding interface ragkit needs beyond LangChain's: an identity, a dimension, numpy batches, token counts."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable

import numpy as np
from langchain_core.embeddings import Embeddings

from ragkit.text import Language


class VectorEmbeddings(Embeddings, ABC):
    """LangChain Embeddings that also embed to float32 arrays and say who they are (for manifests and caches)."""

    @property
    @abstractmethod
    def model_id(self) -> str:
        """Identity of the model; indexes built with another model_id refuse to load."""

    @property
    @abstractmethod
    def spec(self) -> str:
        """How to build this embedder again (see ragkit.embeddings.from_spec); recorded in index manifests."""

    @property
    def document_model_id(self) -> str:
        """Identity of the document vectors (the embedding cache's key): model_id, unless only queries differ."""
        return self.model_id

    @property
    def sha256(self) -> str:
        """sha256 of the weights that make this embedder (recorded in index manifests); '' where there are none."""
        return ""

    @property
    @abstractmethod
    def dimension(self) -> int:
        """Length of each vector."""

    @abstractmethod
    def embed_array(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Embed texts to an (n, dimension) float32 array of unit vectors; progress gets counts of texts done."""

    @abstractmethod
    def count_tokens(self, text: str) -> int:
        """Length of a text in the model's tokens, used to size chunks."""

    def embed_query_array(self, texts: list[str]) -> np.ndarray:
        """Embed search queries; the same as documents unless the model marks queries (E5's 'query: ')."""
        return self.embed_array(texts)

    def relevance_threshold(self, question: Language = "en", corpus: Language = "en") -> float | None:
        """Cosine below which a question's best passage is taken as unrelated, calibrated per model and language
        (scales differ: multilingual-e5 scores unrelated Chinese text above 0.8); None where never calibrated."""
        return None

    def min_relevance(self, question: Language = "en", corpus: Language = "en") -> float | None:
        """Least best-cosine + weighted sentence coverage of a question its passages can answer
        (ragkit.retrieval.hybrid.HybridRetriever.min_relevance), calibrated per model and language; None where
        never calibrated (no such check)."""
        return None

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.embed_array(list(texts)).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self.embed_query_array([text])[0].tolist()
