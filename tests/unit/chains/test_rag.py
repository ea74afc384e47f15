"""The RAG chain with a scripted model: citations map to sources, and no relevant passage means no model call."""

from pathlib import Path

import pytest
from langchain_core.runnables import Runnable, RunnableLambda, RunnablePassthrough

from ragkit import NOT_FOUND, Answer, TextDelta
from ragkit.chains.citations import cite
from ragkit.errors import InvalidInputError
from ragkit.kb import KnowledgeBase
from ragkit.settings import RefusalSettings, RetrievalSettings
from tests.helpers import EXAMPLES_KB
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit


def _kb(tmp_path: Path, hashing, replies: list[str], threshold: float | None = 0.1) -> KnowledgeBase:
    queue = list(replies)
    llm = ScriptedChatModel(reply=lambda prompt, params: queue.pop(0) if len(queue) > 1 else queue[0])
    kb = KnowledgeBase(path=tmp_path / "idx", embedder=hashing, llm=llm,
                       retrieval=RetrievalSettings(score_threshold=threshold))
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
    prompt, params = kb.llm.calls[0]
    assert "[1] (" in prompt and "Question: How many days" in prompt
    assert params["max_tokens"] == 256 and params["temperature"] == 0.0  # the prompt file's model block is bound
    assert answer.prompt["prompt_id"] == "rag-answer" and answer.prompt["prompt_version"] >= 1
    assert set(answer.timings) >= {"retrieve_s", "generate_s", "total_s"}


def test_nothing_relevant_answers_without_calling_the_model(tmp_path: Path, hashing):
    kb = _kb(tmp_path, hashing, ["should never be used"], threshold=0.99)
    answer = kb.ask("Which volcano erupted in 1783?")
    assert not answer.found and answer.text == NOT_FOUND and answer.citations == []
    assert kb.llm.calls == []


def test_stream_yields_text_then_answer(tmp_path: Path, hashing):
    kb = _kb(tmp_path, hashing, ["Security keys [2]."], threshold=None)
    items = list(kb.stream("What second factor is required?"))
    assert isinstance(items[-1], Answer) and all(isinstance(i, TextDelta) for i in items[:-1])
    assert "".join(i.text for i in items[:-1]) == "Security keys [2]."


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


def test_rag_chain_is_a_runnable_inside_a_larger_lcel_expression(tmp_path: Path, hashing):
    kb = _kb(tmp_path, hashing, ["The daily meal allowance while travelling is 60 euros [1]."], threshold=None)
    chain = kb.chain()
    assert isinstance(chain, Runnable)
    pipeline = RunnablePassthrough() | chain | RunnableLambda(lambda answer: answer.citations[0].source)
    assert pipeline.invoke("What is the daily meal allowance?").endswith("travel-policy.pdf")
    streamed = list(pipeline.stream({"question": "What is the daily meal allowance?"}))
    assert streamed[-1].endswith("travel-policy.pdf")
    answers = chain.batch(["What is the daily meal allowance?", "How long does the battery last?"])
    assert [type(a) for a in answers] == [Answer, Answer]


async def test_astream_yields_text_before_the_final_answer(tmp_path: Path, hashing):
    kb = _kb(tmp_path, hashing, ["Security keys [2]."], threshold=None)
    events = [event async for event in kb.chain().astream("What second factor is required?")]
    assert isinstance(events[0], TextDelta) and isinstance(events[-1], Answer)
    assert sum(isinstance(e, Answer) for e in events) == 1
    answer = await kb.chain().ainvoke({"question": "What second factor is required?"})
    assert answer.generated == "Security keys [2]."


def test_model_params_override_the_prompt_file_and_unknown_inputs_raise(tmp_path: Path, hashing):
    kb = _kb(tmp_path, hashing, ["Security keys [2]."], threshold=None)
    kb.ask("What second factor is required?", max_tokens=12)
    assert kb.llm.calls[-1][1]["max_tokens"] == 12
    with pytest.raises(InvalidInputError, match="question"):
        kb.chain().invoke({"question": "x", "k": 3})
    with pytest.raises(InvalidInputError, match="unknown arguments"):
        kb.chain().invoke("x", k=3)


def test_chain_is_reused_per_index_version_and_reopened_after_a_reindex(tmp_path: Path, hashing):
    kb = _kb(tmp_path, hashing, ["Security keys [2]."], threshold=None)
    first = kb.chain()
    assert kb.chain() is first and kb.store is first.retriever.retrievers[0].store
    (tmp_path / "more.md").write_text("Visitors sign in at the front desk.")
    kb.index([EXAMPLES_KB, tmp_path / "more.md"])
    assert kb.chain() is not first



@pytest.mark.parametrize(("reply", "cleaned"), [
    ("[3]", ""),
    ("[1][2].", ""),
    ("［1］", "［1］"),
    ("[2] (examples/kb/security.txt) Security keys are required [2].", "[2] Security keys are required [2]."),
    ("<document>\n60 euros a day [1]\n</document>", "60 euros a day [1]"),
    ("The allowance is 60 euros [1] (per day).", "The allowance is 60 euros [1] (per day)."),
    ("住宿每晚最多可以报销450元。[1]", "住宿每晚最多可以报销450元。[1]"),
])
def test_replies_are_cleaned_of_prompt_layout_and_bare_marks(reply: str, cleaned: str):
    from ragkit.chains.citations import clean_reply

    assert clean_reply(reply) == cleaned


def test_a_bare_citation_mark_or_pasted_passages_are_replaced_by_the_best_sentence(tmp_path: Path, hashing):
    kb = _kb(tmp_path, hashing, ["[1]"], threshold=None)
    answer = kb.ask("What is the daily meal allowance when travelling?")
    assert answer.extractive and answer.generated == "[1]" and answer.text.strip() != "[1]"
    passages = kb.chain().retrieve("What is the daily meal allowance when travelling?")
    pasted = " ".join(f"{p.text} [{p.n}]" for p in passages) * 2
    kb2 = _kb(tmp_path / "two", hashing, [pasted], threshold=None)
    assert kb2.ask("What is the daily meal allowance when travelling?").extractive


def test_citations_name_the_sheet_or_slide(tmp_path: Path, hashing):
    from openpyxl import Workbook

    book = Workbook()
    book.active.title = "Budget"
    book.active.append(["Item", "Cost"])
    book.active.append(["Hotel night", "180 euros"])
    extra = book.create_sheet("预算")
    extra.append(["住宿", "每晚450元"])
    book.save(tmp_path / "costs.xlsx")
    llm = ScriptedChatModel(reply=lambda prompt, params: "Hotel night 180 euros [1].")
    kb = KnowledgeBase(path=tmp_path / "idx", embedder=hashing, llm=llm,
                       retrieval=RetrievalSettings(score_threshold=None, k=1))
    kb.index([tmp_path / "costs.xlsx"])
    answer = kb.ask("Hotel night cost?")
    assert answer.citations[0].where == "sheet Budget, rows 2-2" and "(sheet Budget, rows 2-2, chars" in answer.citations[0].label()


def test_the_guardrail_note_is_in_the_questions_language():
    from ragkit import guardrail_note

    assert guardrail_note("每天的伙食补贴是多少？").startswith("文档") and guardrail_note("What?").startswith("not")


def test_a_supported_reply_citing_the_wrong_number_is_re_attributed(tmp_path: Path, hashing):
    kb = _kb(tmp_path, hashing, ["unused"], threshold=None)
    passages = kb.chain().retrieve("How long does the Lumen sensor battery last?")
    right = next(p for p in passages if "18 months" in p.text)
    wrong = next(p for p in passages if "18 months" not in p.text)
    kb2 = _kb(tmp_path / "two", hashing, [f"The battery lasts 18 months [{wrong.n}]."], threshold=None)
    answer = kb2.ask("How long does the Lumen sensor battery last?")
    assert not answer.extractive and answer.text == f"The battery lasts 18 months [{right.n}]."
    assert [c.source for c in answer.citations] == [right.source]


def test_a_question_naming_what_no_passage_mentions_is_refused_without_the_model(tmp_path: Path, hashing):
    kb = _kb(tmp_path, hashing, ["Book at least 14 days before departure [1]."], threshold=None)
    answer = kb.ask("How many days before departure must Globex employees book flights?")
    assert not answer.found and answer.text == NOT_FOUND and kb.llm.calls == []
    assert answer.warnings == ["the question names Globex, which no retrieved passage mentions"]
    assert answer.passages and not answer.citations  # what was retrieved, to show why
    assert kb.ask("How many days before departure must employees book flights?").found  # no name: answered
    relaxed = kb.chain(RetrievalSettings(score_threshold=None), refusal=RefusalSettings(require_names=False))
    assert relaxed.invoke("How many days before departure must Globex employees book flights?").found


@pytest.mark.parametrize(("relevance", "found"), [(0.9, True), (0.7, False)])
def test_a_missing_name_refuses_only_a_question_the_retriever_found_less_than_clearly_relevant(
        relevance: float, found: bool) -> None:
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever

    from ragkit.chains.rag import RagChain
    from ragkit.chains.refusal import RefusalPolicy

    class Stamped(BaseRetriever):
        def _get_relevant_documents(self, query: str, *, run_manager) -> list[Document]:  # type: ignore[no-untyped-def]
            return [Document("Book flights 14 days before departure.", metadata={"source": "travel.md",
                                                                                  "relevance": relevance})]

    chain = RagChain(retriever=Stamped(), llm=ScriptedChatModel.saying("14 days [1]."),
                     refusal=RefusalPolicy(require_names=True))
    answer = chain.invoke("How many days before departure must Globex employees book flights?")
    assert answer.found is found and bool(answer.warnings) is not found


@pytest.mark.parametrize(("rows", "question", "right", "wrong", "row"), [
    ([["货号", "品名", "单价（元）"], ["OS-2214", "订书钉", "65.13"], ["OS-2215", "回形针", "83.92"]],
     "回形针的单价是多少元？", "回形针的单价是83.92元。[1]", "回形针的单价是93.92元。[1]", "货号: OS-2215; 品名: 回形针"),
    ([["Item", "Unit", "Price (EUR)"], ["Batteries AAA", "pack of 4", "17.14"], ["Pencils", "pack of 5", "2.40"]],
     "What is the price of Pencils?", "Pencils cost 2.40 EUR [1].", "Pencils cost 3.40 EUR [1].", "Item: Pencils"),
])
def test_a_table_answer_is_checked_against_its_cells_and_quoted_by_row(tmp_path: Path, hashing, rows, question,
                                                                        right, wrong, row):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "prices.csv").write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
    replies = [right, wrong]
    kb = KnowledgeBase(path=tmp_path / "idx", embedder=hashing, retrieval=RetrievalSettings(score_threshold=None),
                       llm=ScriptedChatModel(reply=lambda prompt, params: replies.pop(0)), cache=False)
    kb.index([tmp_path / "docs"])
    kept = kb.ask(question)
    assert not kept.extractive and kept.text == right
    quoted = kb.ask(question)
    assert quoted.extractive and quoted.text.startswith(row) and quoted.text.endswith(f"[{quoted.citations[0].n}]")
    assert quoted.citations[0].source.endswith("prices.csv")
