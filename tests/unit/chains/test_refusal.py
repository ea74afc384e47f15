"""The refusal checks (ragkit.chains.refusal): each reason, in English and Chinese, carried in the Answer with the
passages looked at; misspellings forgiven; an unsupported reply whose quote does not answer becomes the no-answer."""

import pytest
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ValidationError

from ragkit import NOT_FOUND, NOT_FOUND_ZH
from ragkit.chains.grounding import answers_question, missing_names
from ragkit.chains.rag import RagChain
from ragkit.chains.refusal import NOTHING_RETRIEVED, RefusalPolicy
from ragkit.settings import RefusalSettings
from ragkit.text import slip_of
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit

EN = "Book domestic flights at least 14 days before departure."
ZH = "国内航班必须在出发前至少十四天预订。"


class Fixed(BaseRetriever):
    """Returns the same documents for every question."""

    docs: list[Document]

    def _get_relevant_documents(self, query: str, *, run_manager) -> list[Document]:  # type: ignore[no-untyped-def]
        return self.docs


def _docs(text: str, **scores: float) -> list[Document]:
    return [Document(text, metadata={"source": "travel.md", **scores})]


@pytest.mark.parametrize(("policy", "scores", "why"), [
    (RefusalPolicy(min_coverage=0.3), {"coverage": 0.2}, "the passages hold 20% of the question's terms"),
    (RefusalPolicy(min_relevance=0.62), {"relevance": 0.5}, "relevance to the passages is 0.50"),
])
@pytest.mark.parametrize(("question", "text"), [("How many days ahead must I book a hotel?", EN),
                                                ("酒店需要提前多少天预订？", ZH)])
def test_coverage_and_relevance_refusals_say_why_and_keep_the_passages(
        policy: RefusalPolicy, scores: dict[str, float], why: str, question: str, text: str) -> None:
    llm = ScriptedChatModel.saying("never used")
    answer = RagChain(retriever=Fixed(docs=_docs(text, **scores)), llm=llm, refusal=policy).invoke(question)
    assert not answer.found and llm.calls == []
    assert answer.text == (NOT_FOUND_ZH if text == ZH else NOT_FOUND)
    assert len(answer.warnings) == 1 and why in answer.warnings[0]
    assert [p.text for p in answer.passages] == [text] and answer.citations == []


@pytest.mark.parametrize("question", ["Which volcano erupted in 1783?", "哪座火山在一七八三年喷发？"])
def test_nothing_retrieved_is_a_refusal_with_its_reason(question: str) -> None:
    answer = RagChain(retriever=Fixed(docs=[]), llm=ScriptedChatModel.saying("never used")).invoke(question)
    assert not answer.found and answer.warnings == [NOTHING_RETRIEVED] and answer.passages == []


def test_a_name_no_passage_mentions_is_a_refusal_but_a_misspelt_one_is_not() -> None:
    passages = _docs("Gandhi led the Salt March in 1930 against the British salt tax.")
    chain = RagChain(retriever=Fixed(docs=passages), llm=ScriptedChatModel.saying("In 1930 [1]."),
                     refusal=RefusalPolicy(require_names=True))
    refused = chain.invoke("When did Nehru lead the Salt March?")
    assert not refused.found and refused.warnings == ["the question names Nehru, which no retrieved passage mentions"]
    assert refused.passages and refused.passages[0].text == passages[0].page_content
    assert chain.invoke("When did Ghandi lead the Salt March?").found  # a letter moved
    strict = chain.model_copy(update={"refusal": RefusalPolicy(require_names=True, slips=False)})
    assert not strict.invoke("When did Ghandi lead the Salt March?").found


def test_misspellings_one_or_two_letters_away_match_in_english_and_chinese() -> None:
    assert slip_of("ghandi", ["gandhi"]) == "gandhi" and slip_of("telsa", ["tesla"]) == "tesla"
    assert slip_of("accelerlations", ["accelerations"]) == "accelerations"  # a letter added
    assert slip_of("acclerations", ["accelerations"]) == "accelerations"  # one dropped
    assert slip_of("goodall", ["goodell"]) is None  # a changed letter in a short name is another name
    assert slip_of("bush", ["rush"]) is None  # four letters: too short to tell a slip
    assert slip_of("温空器", ["温控器", "电池"]) == "温控器"  # one character typed for another
    assert slip_of("过期", ["过程"]) is None  # two characters: one changed is another word
    assert missing_names("Where did Nikola Telsa work?", ["Nikola Tesla worked for Edison."]) == []
    assert missing_names("Where did Nikola Telsa work?", ["Nikola Tesla worked."], slips=False) == ["Nikola Telsa"]


@pytest.mark.parametrize(("question", "reply", "passage", "no_answer"), [
    ("How many parameters does DeepSeek-V3 have?", "DeepSeek-V3 has 1 million parameters [1].",
     "The sensor runs on two AA batteries for 18 months.", NOT_FOUND),
    ("DeepSeek-V3 模型有多少个参数？", "DeepSeek-V3 模型有 100 万个参数。[1]",
     "传感器的测量范围是零下二十度到六十度，精度为正负零点三度。", NOT_FOUND_ZH),
])
def test_an_unsupported_reply_whose_quote_does_not_answer_is_the_no_answer_reply(
        question: str, reply: str, passage: str, no_answer: str) -> None:
    chain = RagChain(retriever=Fixed(docs=_docs(passage)), llm=ScriptedChatModel.saying(reply))
    answer = chain.invoke(question)
    assert answer.text == no_answer and answer.citations == [] and answer.generated == reply
    assert answer.extractive and answer.replaced_because.startswith("the number")
    assert any("no passage sentence states what was asked" in w for w in answer.warnings)
    quoting = chain.model_copy(update={"refusal": RefusalPolicy(unanswered_quote=True)})
    assert quoting.invoke(question).text.startswith(passage[:10])  # the old behaviour, opted into


@pytest.mark.parametrize(("question", "reply", "passage", "stated"), [
    ("How long does the Lumen sensor battery last?", "The battery lasts 36 months [1].",
     "The Lumen sensor battery lasts 18 months.", "18 months"),
    ("传感器的电池能用多久？", "电池可以使用二十四个月。[1]", "传感器的电池可以使用十八个月。", "十八个月"),
])
def test_a_quote_that_answers_the_question_is_still_given(question: str, reply: str, passage: str,
                                                          stated: str) -> None:
    answer = RagChain(retriever=Fixed(docs=_docs(passage)), llm=ScriptedChatModel.saying(reply)).invoke(question)
    assert answer.extractive and stated in answer.text and answer.citations


def test_a_sentence_answers_a_question_when_it_holds_what_and_the_kind_asked_for() -> None:
    assert answers_question("How long does the Lumen battery last?", "The Lumen battery lasts 18 months.")
    assert not answers_question("How long does the Lumen battery last?", "The Lumen battery is blue.")  # no number
    assert not answers_question("How tall is the Eiffel Tower?", "The sensor lasts 18 months.")  # about else
    assert answers_question("禾风 H3 温控器的电池能用多久？", "答：禾风 H3 使用两节 AA 碱性电池，续航约十四个月。")
    assert not answers_question("禾风 H3 温控器的重量是多少克？", "答：禾风 H3 使用两节 AA 碱性电池，续航约十四个月。")


def test_the_policy_follows_its_settings_and_the_question_language() -> None:
    settings = RefusalSettings(min_coverage=0.3)
    same = RefusalPolicy.of(settings, 0.62, same_language=True, english=True)
    assert (same.min_coverage, same.min_relevance, same.require_names) == (0.3, 0.62, True)
    other = RefusalPolicy.of(settings, 0.62, same_language=False, english=True)  # lexical checks need one language
    assert (other.min_coverage, other.min_relevance, other.require_names) == (None, None, False)
    assert not RefusalPolicy.of(settings, None, same_language=True, english=False).require_names  # names: English
    assert RefusalPolicy.of(RefusalSettings(min_relevance=0.5), 0.62, True, True).min_relevance == 0.5
    with pytest.raises(ValidationError):
        RefusalSettings(min_relevence=0.5)  # type: ignore[call-arg]
