"""The grounding guardrail keeps supported answers and replaces unsupported ones with a passage sentence."""

import pytest

from ragkit.chains.grounding import best_sentence, ground, support
from ragkit.embeddings import HashingEmbeddings
from ragkit.text import sentences

pytestmark = pytest.mark.unit

PASSAGE = ("Super Bowl 50 was an American football game. The Denver Broncos defeated the Carolina Panthers 24-10. "
           "It was played at Levi's Stadium in Santa Clara.")


def test_sentences_keep_offsets() -> None:
    spans = sentences(PASSAGE)
    assert len(spans) == 3
    assert all(PASSAGE[start:].startswith(text) for start, text in spans)


def test_extractive_and_paraphrased_answers_are_kept() -> None:
    assert ground("Denver Broncos [1]", PASSAGE, "Who won?") == ("Denver Broncos [1]", False)
    assert ground("The Broncos defeated the Panthers.", PASSAGE, "Who won?")[1] is False


def test_unsupported_answer_falls_back_to_the_best_sentence() -> None:
    text, extractive = ground("The Green Bay Packers", PASSAGE, "At which stadium was the game played?")
    assert extractive is True
    assert text == "It was played at Levi's Stadium in Santa Clara."


def test_empty_answer_is_replaced() -> None:
    assert ground("", PASSAGE, "Who defeated the Carolina Panthers?") == (
        "The Denver Broncos defeated the Carolina Panthers 24-10.", True)


def test_support_ignores_citations_and_function_words() -> None:
    assert support("the Denver Broncos [1]", PASSAGE) == 1.0
    assert support("Packers of Green Bay", PASSAGE) == 0.0


def test_embedder_ranks_sentences_when_given() -> None:
    embedder = HashingEmbeddings()
    assert best_sentence(PASSAGE, "It was played at Levi's Stadium in Santa Clara.", embedder=embedder) == (
        "It was played at Levi's Stadium in Santa Clara.")
