"""Citations the reader can trust: every answer carries [n] marks of the passage backing it; a reply no passage
backs is replaced (saying why) or, with the guardrail off, flagged."""

from pathlib import Path

import pytest

from ragkit import NOT_FOUND
from ragkit.chains.citations import with_mark
from ragkit.chains.rag import RagChain
from ragkit.kb import KnowledgeBase
from ragkit.settings import RetrievalSettings
from tests.helpers import EXAMPLES_KB
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit
QUESTION = "How long does the Lumen sensor battery last?"


def _kb(tmp_path: Path, hashing, reply: str) -> KnowledgeBase:
    kb = KnowledgeBase(path=tmp_path / "idx", embedder=hashing, llm=ScriptedChatModel.saying(reply),
                       retrieval=RetrievalSettings(score_threshold=None))
    kb.index([EXAMPLES_KB])
    return kb


def test_a_supported_reply_without_marks_gets_the_mark_of_its_passage(tmp_path: Path, hashing) -> None:
    answer = _kb(tmp_path, hashing, "The battery lasts 18 months.").ask(QUESTION)
    cited = answer.citations[0]
    assert "18 months" in cited.text and cited.inferred and not answer.extractive
    assert answer.text == f"The battery lasts 18 months [{cited.n}]." and answer.warnings == []


def test_a_reply_with_a_made_up_number_is_replaced_by_a_cited_sentence_saying_why(tmp_path: Path, hashing) -> None:
    answer = _kb(tmp_path, hashing, "The battery lasts 36 months [1].").ask(QUESTION)
    assert answer.extractive and answer.replaced_because == "the number 36 is in no passage"
    assert answer.text.endswith(f"[{answer.citations[0].n}]") and answer.text[:-4].strip() in answer.citations[0].text
    assert "18 months" in answer.text  # the sentence answering the question, not merely sharing its words


def test_without_the_guardrail_an_unsupported_answer_is_flagged_not_attributed_silently(tmp_path: Path,
                                                                                       hashing) -> None:
    kb = _kb(tmp_path, hashing, "unused")
    chain = RagChain(retriever=kb.retriever(), llm=ScriptedChatModel.saying("Staff fly business class to Mars."),
                     grounding=False)
    answer = chain.invoke(QUESTION)
    assert not answer.extractive and answer.citations and answer.citations[0].inferred
    assert answer.warnings and answer.warnings[0].startswith("no passage supports the answer")


def test_the_no_answer_reply_carries_no_mark_and_no_warning(tmp_path: Path, hashing) -> None:
    answer = _kb(tmp_path, hashing, NOT_FOUND).ask(QUESTION)
    assert answer.text == NOT_FOUND and answer.citations == [] and answer.warnings == []


@pytest.mark.parametrize(("text", "marked"), [
    ("It lasts 18 months.", "It lasts 18 months [2]."),
    ("It lasts 18 months [1].", "It lasts 18 months [2]."),
    ("续航约十四个月。", "续航约十四个月。[2]"),
    ("18 months", "18 months [2]"),
])
def test_marks_are_added_or_rewritten(text: str, marked: str) -> None:
    assert with_mark(text, 2) == marked
