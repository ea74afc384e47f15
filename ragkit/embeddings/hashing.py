"""A deterministic, model-free embedder (hashed word and character n-grams) for fast unit tests."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import numpy as np

from ragkit.embeddings.base import VectorEmbeddings
from ragkit.text import words as split_words


class HashingEmbeddings(VectorEmbeddings):
    """Feature-hashing bag of words (Chinese segmented) and trigrams: similar texts get similar vectors, no model."""

    def __init__(self, dimension: int = 256):
        self._dimension = dimension

    @property
    def model_id(self) -> str:
        return f"ragkit-hashing-{self._dimension}"

    @property
    def spec(self) -> str:
        return f"hashing:{self._dimension}"

    @property
    def dimension(self) -> int:
        return self._dimension

    def count_tokens(self, text: str) -> int:
        return len(split_words(text))

    def embed_array(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self._dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            words = split_words(text)
            for feature in words + [w[i : i + 3] for w in words for i in range(max(1, len(w) - 2))]:
                digest = int.from_bytes(hashlib.blake2b(feature.encode(), digest_size=8).digest(), "little")
                out[row, digest % self._dimension] += 1.0 if digest & (1 << 63) else -1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        out /= np.where(norms == 0, 1.0, norms)
        if progress:
            progress(len(texts))
        return out
