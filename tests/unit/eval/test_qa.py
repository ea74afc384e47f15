"""QA scoring: SQuAD normalization, exact match, token F1, and a chain evaluated end to end with a scripted model."""

import pytest

from ragkit.chains.rag import RagChain
from ragkit.embeddings import HashingEmbeddings
from ragkit.eval.qa import (
    QAItem,
    evaluate_chain,
    exact_match,
    index_paragraphs,
    normalize_answer,
    strip_citations,
    token_f1,
)
from ragkit.eval.squad import Article, Paragraph
from ragkit.retrieval import DenseRetriever
from tests.scripted_model import ScriptedChatModel, after

pytestmark = pytest.mark.unit


def test_squad_normalization() -> None:
    assert normalize_answer("The  Denver Broncos!") == "denver broncos"
    assert exact_match("the Denver Broncos.", ["Denver Broncos"]) == 1.0
    assert exact_match("Broncos", ["Denver Broncos"]) == 0.0


def test_token_f1_takes_the_best_gold() -> None:
    assert token_f1("Denver Broncos", ["Broncos", "Denver Broncos"]) == 1.0
    assert token_f1("Broncos", ["Denver Broncos"]) == pytest.approx(2 / 3)
    assert token_f1("Panthers", ["Denver Broncos"]) == 0.0


def test_citations_are_stripped_before_scoring() -> None:
    assert strip_citations("Denver Broncos [1, 2].") == "Denver Broncos."


def test_chain_scores_citations_and_the_guardrail() -> None:
    articles = [Article("Sports", (
        Paragraph("Sports", 0, "The Denver Broncos won Super Bowl 50.", ()),
        Paragraph("Sports", 1, "Chess is played on a board of 64 squares.", ()),
    ))]
    store = index_paragraphs(articles, HashingEmbeddings())
    items = [QAItem("Who won Super Bowl 50?", ("Denver Broncos",), "Sports#0"),
             QAItem("How many squares does a chess board have?", ("64",), "Sports#1")]
    model = ScriptedChatModel(reply=lambda prompt, _: "Denver Broncos [1]" if "Super Bowl" in after(prompt, "Question:")
                              else "Seven hundred [1]")
    chain = RagChain(retriever=DenseRetriever(store=store, k=1), llm=model)
    result = evaluate_chain("fake", chain, items)
    assert result.exact_match == 0.5
    assert result.citation_accuracy == 1.0
    assert result.extractive_share == 0.5
    assert result.answers[1]["guarded"] == "Chess is played on a board of 64 squares."
    assert result.answers[1]["answer"] == "Seven hundred [1]"
    assert result.guarded_f1 > result.f1
