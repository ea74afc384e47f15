"""LangChain's standard Embeddings suites, on the model-free embedder, the packaged MiniLM and multilingual-e5."""

import pytest
from langchain_tests.integration_tests import EmbeddingsIntegrationTests
from langchain_tests.unit_tests import EmbeddingsUnitTests

from ragkit.embeddings import HashingEmbeddings, MultilingualE5Embeddings, SentenceTransformerEmbeddings


class HashingSetup:
    """The model-free embedder at a small dimension, for both suites."""

    @property
    def embeddings_class(self) -> type[HashingEmbeddings]:
        return HashingEmbeddings

    @property
    def embedding_model_params(self) -> dict:
        return {"dimension": 64}


@pytest.mark.unit
class TestHashingEmbeddingsUnit(HashingSetup, EmbeddingsUnitTests):
    pass


@pytest.mark.unit
class TestHashingEmbeddingsContract(HashingSetup, EmbeddingsIntegrationTests):
    pass


@pytest.mark.integration
class TestSentenceTransformerEmbeddings(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[SentenceTransformerEmbeddings]:
        return SentenceTransformerEmbeddings

    @property
    def embedding_model_params(self) -> dict:
        return {}


@pytest.mark.integration
def test_minilm_vectors_are_normalized_and_similar_texts_score_higher(minilm):
    import numpy as np

    vectors = minilm.embed_array(["How long does the battery last?", "Battery life is 18 months.",
                                  "Visitors wear a red badge."])
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors.shape == (3, 384)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
    assert minilm.model_id.startswith("sentence-transformers/all-MiniLM-L6-v2@")


@pytest.mark.integration
def test_minilm_batches_keep_input_order_and_counts_are_not_truncated(minilm):
    import numpy as np

    texts = ["Visitors wear a red badge.", "The river " * 150, "Tax", "Flights must be booked " * 10,
             "Battery life is 18 months.", "Quantum chromodynamics describes quarks and gluons."]
    batched = minilm.embed_array(texts)
    one_by_one = np.stack([minilm.embed_array([t])[0] for t in texts])
    similarity = batched @ one_by_one.T
    assert np.all(np.diag(similarity) > 0.99)
    assert np.all(similarity - np.eye(len(texts)) * 2 < 0.9)  # any row out of place would show here
    assert minilm.count_tokens("word " * 300) == 300


@pytest.mark.integration
class TestMultilingualE5Embeddings(EmbeddingsIntegrationTests):
    @property
    def embeddings_class(self) -> type[MultilingualE5Embeddings]:
        return MultilingualE5Embeddings

    @property
    def embedding_model_params(self) -> dict:
        return {}
