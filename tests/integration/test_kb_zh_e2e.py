"""End to end on the Chinese example knowledge base (examples/kb-zh: .docx, GBK .txt, PDF, .md) with the defaults:
detected language and multilingual embedder, the default packaged model, Chinese answers citing the right file."""

from pathlib import Path

import pytest

from ragkit import NOT_FOUND_ZH, KnowledgeBase
from ragkit.models import DEFAULT_PRESET
from tests.helpers import EXAMPLES_KB_ZH

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUESTIONS = [
    ("出差到省会城市，住宿每晚最多可以报销多少钱？", "travel-expenses.docx", ("450",)),
    ("发生安全事件后，应该拨打哪个内线电话报告？", "security.txt", ("8008",)),
    ("禾风 H3 温控器的电池能用多久？", "product-faq.pdf", ("十四个月", "14个月", "14 个月")),
    ("新员工入职培训在哪个会议室举行？", "onboarding.md", ("钱塘",)),
]
"""(question, the file holding the answer, ways of writing the fact) - each fact is in one file only."""
EN_QUESTIONS = [
    ("What is the hotel limit per night in a provincial capital on a business trip?", "travel-expenses.docx"),
    ("Which internal phone number do I call to report a security incident?", "security.txt"),
]


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    kb = KnowledgeBase(path=tmp_path_factory.mktemp("idx") / "kb-zh")
    report = kb.index([EXAMPLES_KB_ZH])
    assert report.indexed_files == 4, report
    assert report.skipped == []
    return kb


def test_the_chinese_corpus_gets_the_multilingual_embedder(kb: KnowledgeBase):
    manifest = kb.manifest()
    assert manifest.settings["language"] == "zh"
    assert manifest.settings["embedder"] == "multilingual-e5-small"
    assert "multilingual-e5-small" in manifest.embedder
    assert {Path(s).name for s in kb.store.docstore.sources()} == {q[1] for q in QUESTIONS}


@pytest.mark.parametrize(("question", "source", "facts"), QUESTIONS)
def test_chinese_answers_cite_the_file_that_holds_the_fact(kb: KnowledgeBase, question: str, source: str,
                                                           facts: tuple[str, ...]):
    answer = kb.ask(question)
    seen = (answer.text, answer.generated, answer.extractive, [(c.n, Path(c.source).name) for c in answer.citations])
    assert answer.found and answer.model == DEFAULT_PRESET, seen
    assert answer.citations and Path(answer.citations[0].source).name == source, seen
    assert any(fact in answer.text for fact in facts), seen


def test_unrelated_chinese_question_gets_the_chinese_no_answer_without_the_model(kb: KnowledgeBase):
    answer = kb.ask("珠穆朗玛峰的海拔是多少米？")
    assert not answer.found and answer.citations == [] and answer.generated == ""
    assert answer.text == NOT_FOUND_ZH


@pytest.mark.parametrize(("question", "source"), EN_QUESTIONS)
def test_english_question_finds_the_chinese_file(kb: KnowledgeBase, question: str, source: str):
    docs = kb.retriever(language="en").invoke(question)
    assert docs and Path(docs[0].metadata["source"]).name == source, [d.metadata["source"] for d in docs]
