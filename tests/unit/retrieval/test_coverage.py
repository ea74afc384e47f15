"""The coverage scores the refusal checks read: a question naming what no retrieved passage mentions, or whose
terms no sentence of them holds together, scores low, in English and Chinese; a misspelt term still counts."""

import pytest

from ragkit.embeddings import HashingEmbeddings
from ragkit.retrieval import BM25Retriever, DenseRetriever, HybridRetriever
from ragkit.retrieval.bm25 import BM25Index
from ragkit.store import AnnVectorStore

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


def _retrievers() -> list:
    store = AnnVectorStore.from_texts(TEXTS, HashingEmbeddings(256), metadatas=[{"source": str(i)} for i in
                                                                                   range(len(TEXTS))])
    return [DenseRetriever(store=store), BM25Retriever(store=store)]


def test_the_hybrid_retriever_stamps_how_well_its_passages_cover_the_question() -> None:
    scored = HybridRetriever(retrievers=_retrievers(), k=2, scores=True)
    covered = scored.invoke("Where was Chopin born?")
    other = scored.invoke("Which opera did Giuseppe Verdi write in Milan?")
    assert covered and other  # it returns what it found: the refusal checks decide (ragkit.chains.refusal)
    assert covered[0].metadata["coverage"] > 0.5 > other[0].metadata["coverage"]
    assert "coverage" not in HybridRetriever(retrievers=_retrievers(), k=2).invoke("Where was Chopin born?")[0].metadata


def test_misspelt_terms_count_as_the_terms_they_misspell_in_english_and_chinese() -> None:
    index = _index()
    assert index.coverage("Where was Chopni born?", TEXTS[:1]) < 1.0 == index.coverage(
        "Where was Chopni born?", TEXTS[:1], slips=True)  # two letters swapped
    assert index.window_coverage("Where was Chopni born?", TEXTS[:1], slips=True) == 1.0
    zh_index = BM25Index.build(enumerate(["禾风温控器的电池能用十四个月。", "登录密码至少十二位。"]), [2])
    typo, right = "温空器的电池能用多久？", "温控器的电池能用多久？"  # 控 typed as 空
    assert zh_index.coverage(typo, ["禾风温控器的电池能用十四个月。"], slips=True) == zh_index.coverage(
        right, ["禾风温控器的电池能用十四个月。"]) > zh_index.coverage(typo, ["禾风温控器的电池能用十四个月。"])


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


def test_the_hybrid_retriever_stamps_the_relevance_the_refusal_checks_read() -> None:
    retrievers = _retrievers()
    scored = HybridRetriever(retrievers=retrievers, k=2, scores=True)
    asked, other = "Where was Chopin born?", "Where did the Normans compose piano sonatas?"  # other: scattered
    assert scored.relevance(asked, [retrievers[0].invoke(asked)], scored.invoke(asked)) >= 0.9
    assert all(d.metadata["relevance"] >= 0.9 for d in scored.invoke(asked))  # stamped for the chain
    assert scored.invoke(other)[0].metadata["relevance"] < 0.9
    assert scored.invoke("永安桥建于哪一年？")[0].metadata["relevance"] >= 0.9
    with pytest.raises(ValueError, match="scores needs"):
        HybridRetriever(retrievers=retrievers[1:], scores=True)
