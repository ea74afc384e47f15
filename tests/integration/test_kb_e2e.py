"""End to end on the embedded defaults: real MiniLM, real FAISS index, the default packaged model, cited answers."""

from pathlib import Path

import pytest

from ragkit import KnowledgeBase
from ragkit.models import DEFAULT_PRESET
from tests.helpers import EXAMPLES_KB

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUESTIONS = [
    ("How many days before departure must flights be booked?", "travel-policy.pdf", "14"),
    ("How long does the Lumen sensor battery last?", "product-faq.html", "18 months"),
    ("Within how many hours must a security incident be reported?", "security.txt", "one hour"),
    ("Which meeting room hosts the company introduction?", "onboarding.md", "Atlas"),
]


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    kb = KnowledgeBase(path=tmp_path_factory.mktemp("idx") / "examples")
    report = kb.index([EXAMPLES_KB])
    assert report.indexed_files == 5 and report.skipped == []
    return kb


@pytest.mark.parametrize(("question", "source", "fact"), QUESTIONS)
def test_answers_cite_the_file_that_holds_the_answer(kb: KnowledgeBase, question: str, source: str, fact: str):
    answer = kb.ask(question)
    assert answer.found and answer.model == DEFAULT_PRESET
    assert answer.citations, answer.text
    assert Path(answer.citations[0].source).name == source, (answer.text, answer.citations)
    assert fact.lower() in answer.text.lower(), answer.text


def test_unrelated_question_is_answered_without_the_model(kb: KnowledgeBase):
    answer = kb.ask("What is the boiling point of liquid nitrogen?")
    assert not answer.found and answer.citations == []
