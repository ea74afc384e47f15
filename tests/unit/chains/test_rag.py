"""The RAG chain with a scripted model: citations map to sources, and no relevant passage means no model call."""

from pathlib import Path

import pytest
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from ragkit.chains import Answer, RagChain
from ragkit.chains.rag import NOT_FOUND, cite
from ragkit.kb import KnowledgeBase
from tests.helpers import EXAMPLES_KB

pytestmark = pytest.mark.unit


class Scripted(GenericFakeChatModel):
    """Replies with scripted messages and records every prompt it was given."""

    prompts: list = []

    def _generate(self, messages, stop=None, run_manager=None, **kwargs):
        self.prompts.append(messages)
        return super()._generate(messages, stop, run_manager, **kwargs)


def _kb(tmp_path: Path, hashing, replies: list[str], threshold: float | None = 0.1) -> KnowledgeBase:
    kb = KnowledgeBase(path=tmp_path / "idx", embedder=hashing, score_threshold=threshold,
                       llm=Scripted(messages=iter([AIMessage(r) for r in replies]), prompts=[]))
    kb.index([EXAMPLES_KB])
    return kb


def test_answer_cites_numbered_passages_with_source_page_and_span(tmp_path: Path, hashing):
    kb = _kb(tmp_path, hashing, ["Book at least 14 days before departure [1]."], threshold=None)
    answer = kb.ask("How many days before departure must flights be booked?")
    assert isinstance(answer, Answer) and answer.found
    assert answer.text == "Book at least 14 days before departure [1]."
    assert [c.n for c in answer.citations] == [1]
    cited = answer.citations[0]
    assert cited == answer.passages[0] and not cited.inferred
    assert cited.source.endswith("travel-policy.pdf") and cited.page == 1
    assert cited.end - cited.start == len(cited.text)
    prompt = kb.llm.prompts[0]
    assert "[1] (" in prompt[-1].content and "Question: How many days" in prompt[-1].content
    assert answer.prompt["prompt_id"] == "rag-answer" and answer.prompt["prompt_version"] >= 1
    assert set(answer.timings) >= {"retrieve_s", "generate_s", "total_s"}


def test_nothing_relevant_answers_without_calling_the_model(tmp_path: Path, hashing):
    kb = _kb(tmp_path, hashing, ["should never be used"], threshold=0.99)
    answer = kb.ask("Which volcano erupted in 1783?")
    assert not answer.found and answer.text == NOT_FOUND and answer.citations == []
    assert kb.llm.prompts == []


def test_stream_yields_text_then_answer(tmp_path: Path, hashing):
    kb = _kb(tmp_path, hashing, ["Security keys [2]."], threshold=None)
    items = list(kb.stream("What second factor is required?"))
    assert isinstance(items[-1], Answer)
    assert "".join(i for i in items[:-1]) == "Security keys [2]."


def test_cite_infers_a_passage_when_the_model_gives_no_number(tmp_path: Path, hashing):
    kb = _kb(tmp_path, hashing, ["unused"], threshold=None)
    passages = kb.chain().retrieve("battery life of the Lumen sensor")
    cited = cite("The battery lasts 18 months on two AA batteries.", passages)
    assert len(cited) == 1 and cited[0].inferred and "18 months" in cited[0].text
    assert cite(NOT_FOUND, passages) == []


def test_unsupported_reply_falls_back_to_the_cited_passages_best_sentence(tmp_path: Path, hashing):
    kb = _kb(tmp_path, hashing, ["Staff get a free car and 500 dollars a day [1]."], threshold=None)
    answer = kb.ask("What is the daily meal allowance when travelling?")
    assert answer.extractive and answer.generated == "Staff get a free car and 500 dollars a day [1]."
    assert answer.text.endswith(f"[{answer.citations[0].n}]")
    assert answer.text[:-4].strip() in answer.citations[0].text
    assert "meal allowance" in answer.text


def test_supported_reply_is_kept(tmp_path: Path, hashing):
    kb = _kb(tmp_path, hashing, ["The daily meal allowance while travelling is 60 euros [1]."], threshold=None)
    answer = kb.ask("What is the daily meal allowance when travelling?")
    assert not answer.extractive and answer.text == answer.generated
