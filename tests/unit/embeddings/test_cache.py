"""The embedding cache: hits skip the model, misses are embedded once and survive a reopen."""

from pathlib import Path

import numpy as np
import pytest

from ragkit.digests import content_hash
from ragkit.embeddings import EmbeddingCache, HashingEmbeddings

pytestmark = pytest.mark.unit


class CountingEmbeddings(HashingEmbeddings):
    """Counts how many texts reach the model."""

    def __init__(self) -> None:
        super().__init__(64)
        self.calls = 0

    def embed_array(self, texts, progress=None):
        self.calls += len(texts)
        return super().embed_array(texts, progress)


def test_cache_embeds_each_text_once_across_runs(tmp_path: Path):
    embedder = CountingEmbeddings()
    texts = ["one fish", "two fish", "one fish", "red fish"]
    hashes = [content_hash(t) for t in texts]
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    vectors, embedded = cache.embed(embedder, texts, hashes, batch=2)
    cache.close()
    assert embedded == 3 and embedder.calls == 3
    np.testing.assert_allclose(vectors, embedder.embed_array(texts), atol=1e-6)
    embedder.calls = 0
    reopened = EmbeddingCache(tmp_path / "cache.sqlite")
    again, embedded = reopened.embed(embedder, texts + ["blue fish"], hashes + [content_hash("blue fish")])
    assert embedded == 1 and embedder.calls == 1
    np.testing.assert_allclose(again[:4], vectors, atol=1e-6)


def test_cache_is_keyed_by_model(tmp_path: Path):
    cache = EmbeddingCache(tmp_path / "cache.sqlite")
    cache.put("model-a", ["h"], np.ones((1, 4), np.float32))
    assert "h" in cache.get("model-a", ["h"])
    assert cache.get("model-b", ["h"]) == {}
