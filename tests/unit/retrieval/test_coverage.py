"""The coverage gates: a question naming what no retrieved passage mentions, or whose terms no sentence of them
holds together, is refused, in English and Chinese."""

import pytest

from ragkit.embeddings import HashingEmbeddings
from ragkit.retrieval import BM25Retriever, DenseRetriever, HybridRetriever
from ragkit.retrieval.bm25 import BM25Index
from ragkit.store import FaissVectorStore

pytestmark = pytest.mark.unit

TEXTS = ["Frédéric Chopin was born in Żelazowa Wola in 1810 and left Poland for Paris at twenty.",
         "The Normans adopted the Catholic faith and settled in Normandy.",
         "Chopin wrote three piano sonatas and many nocturnes.",
         "永安桥是一座三孔石拱桥，建于1562年，至今仍在使用。"]


def _index() -> BM25Index:
    return BM25Index.build(enumerate(TEXTS), [len(TEXTS)])


def test_coverage_weighs_rare_terms_more() -> None:
    index = _index()
    assert index.coverage("Where was Chopin born?", TEXTS[:1]) == 1.0
    rare_missing = index.coverage("When did Chopin meet Liszt?", TEXTS[:1])  # Liszt is in no passage
    common_missing = index.coverage("When did Chopin write sonatas in Poland?", TEXTS[:1])
    assert 0 < rare_missing < 0.6 and rare_missing < common_missing
    assert index.coverage("Who?", TEXTS[:1]) == 1.0  # nothing to cover


def test_chinese_questions_are_covered_by_segmented_words() -> None:
    index = _index()
    assert index.coverage("永安桥是哪一年建的？", TEXTS[3:]) > 0.5
    assert index.coverage("黄鹤楼是哪一年建的？", TEXTS[3:]) < index.coverage("永安桥是哪一年建的？", TEXTS[3:])


def test_the_hybrid_retriever_refuses_a_question_its_passages_do_not_cover() -> None:
    store = FaissVectorStore.from_texts(TEXTS, HashingEmbeddings(256), metadatas=[{"source": str(i)} for i in
                                                                                   range(len(TEXTS))])
    retrievers = [DenseRetriever(store=store), BM25Retriever(store=store)]
    gated = HybridRetriever(retrievers=retrievers, k=2, min_coverage=0.5)
    assert gated.invoke("Where was Chopin born?")
    assert gated.invoke("Which opera did Giuseppe Verdi write in Milan?") == []
    assert HybridRetriever(retrievers=retrievers, k=2).invoke("Which opera did Giuseppe Verdi write in Milan?")


def test_the_default_retriever_checks_coverage_only_when_asked() -> None:
    from ragkit.retrieval.hybrid import MIN_COVERAGE, hybrid_retriever

    store = FaissVectorStore.from_texts(TEXTS, HashingEmbeddings(256))
    assert hybrid_retriever(store, score_threshold=0.1).min_coverage is None
    assert hybrid_retriever(store, score_threshold=0.1, min_coverage=MIN_COVERAGE).min_coverage == MIN_COVERAGE


WINDOWS = ["Chopin was born in Zelazowa Wola. He left Poland for Paris at twenty. Paris was his home until his death.",
           "永安桥建于1562年。桥上有三个孔。当地人至今仍在使用。"]


def test_window_coverage_wants_the_terms_in_one_or_two_adjacent_sentences() -> None:
    index = BM25Index.build(enumerate(TEXTS + WINDOWS), [len(TEXTS) + len(WINDOWS)])
    assert index.window_coverage("Where was Chopin born?", WINDOWS[:1]) == 1.0  # one sentence
    assert index.window_coverage("Was Chopin born in Poland?", WINDOWS[:1]) == 1.0  # two adjacent ones
    apart = "Was Chopin born in his home?"  # sentences 1 and 3
    assert index.window_coverage(apart, WINDOWS[:1]) < 1.0 == index.coverage(apart, WINDOWS[:1])
    assert index.window_coverage("永安桥建于哪一年？", WINDOWS[1:]) == 1.0
    assert index.window_coverage("永安桥的孔至今仍在使用吗？", WINDOWS[1:]) < 1.0  # 永安桥 is two sentences away
    assert index.window_coverage("Chopin?", []) == 0.0


def test_the_hybrid_retriever_refuses_a_question_below_the_least_relevance() -> None:
    store = FaissVectorStore.from_texts(TEXTS, HashingEmbeddings(256), metadatas=[{"source": str(i)} for i in
                                                                                   range(len(TEXTS))])
    retrievers = [DenseRetriever(store=store), BM25Retriever(store=store)]
    gated = HybridRetriever(retrievers=retrievers, k=2, min_relevance=0.9)
    asked, other = "Where was Chopin born?", "Where did the Normans compose piano sonatas?"  # other: scattered
    assert gated.relevance(asked, [retrievers[0].invoke(asked)], gated.invoke(asked)) >= 0.9
    assert all(d.metadata["relevance"] >= 0.9 for d in gated.invoke(asked))  # stamped for the chain
    assert gated.invoke(other) == []
    assert HybridRetriever(retrievers=retrievers, k=2).invoke(other)
    assert HybridRetriever(retrievers=retrievers, k=2, min_relevance=0.9).invoke("永安桥建于哪一年？")
    with pytest.raises(ValueError, match="min_relevance needs"):
        HybridRetriever(retrievers=retrievers[1:], min_relevance=0.5)
