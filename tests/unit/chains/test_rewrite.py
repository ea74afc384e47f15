"""Follow-ups made standalone before retrieval (scripted model): only with history, shown in the Answer, in English
and Chinese, sync and async; malformed history refused with a message naming the bad item."""

import asyncio
import re

import pytest
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage

from ragkit import Answer, TextDelta
from ragkit.chains.rewrite import QuestionRewriter, format_history, parse_history, parse_input, standalone
from ragkit.errors import InvalidInputError
from ragkit.kb import KnowledgeBase
from ragkit.settings import RetrievalSettings
from tests.helpers import EXAMPLES_KB
from tests.scripted_model import ScriptedChatModel, after

pytestmark = pytest.mark.unit

FOLLOW_UP = "Follow-up question:"
REWRITES = {"And how long must they be?": "How long must passwords be?",
            "那第二个呢？": "How long must passwords be?"}


def _reply(prompt: str, params: dict) -> str:
    """Rewrite known follow-ups; answer from the passage about password length, citing its number."""
    if FOLLOW_UP in prompt:
        return "Standalone question: " + REWRITES.get(after(prompt, FOLLOW_UP).strip(), "unknown")
    number = re.search(r"\[(\d+)\] \([^)]*security\.txt\)", prompt)
    return f"Passwords must be at least 14 characters long [{number.group(1)}]." if number else "No idea."


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    from ragkit.embeddings import HashingEmbeddings

    kb = KnowledgeBase(path=tmp_path_factory.mktemp("idx") / "kb", embedder=HashingEmbeddings(256),
                       llm=ScriptedChatModel(reply=_reply), retrieval=RetrievalSettings(score_threshold=0.05))
    kb.index([EXAMPLES_KB])
    return kb


HISTORY = [("user", "Where must I keep my passwords?"), ("assistant", "In the company password manager [1].")]


def _prompts(kb: KnowledgeBase, since: int) -> list[str]:
    return [prompt for prompt, _ in kb.llm.calls[since:]]


def test_a_follow_up_is_rewritten_then_retrieved_and_answered_as_the_standalone_question(kb: KnowledgeBase):
    since = len(kb.llm.calls)
    answer = kb.ask("And how long must they be?", history=HISTORY)
    rewrite, answering = _prompts(kb, since)
    assert "User: Where must I keep my passwords?\nAssistant: In the company password manager." in rewrite
    assert "Question: How long must passwords be?" in answering
    assert answer.question == "And how long must they be?" and answer.rewritten == "How long must passwords be?"
    assert answer.citations[0].source.endswith("security.txt") and "14 characters" in answer.text
    assert answer.timings["rewrite_s"] >= 0 and answer.timings["total_s"] >= answer.timings["rewrite_s"]


def test_without_history_there_is_no_rewrite_and_no_extra_model_call(kb: KnowledgeBase):
    since = len(kb.llm.calls)
    answer = kb.ask("How long must passwords be?", history=[])
    assert len(kb.llm.calls) - since == 1 and FOLLOW_UP not in _prompts(kb, since)[0]
    assert answer.rewritten == ""


def test_chinese_follow_up_and_langchain_messages_as_history(kb: KnowledgeBase):
    history = [SystemMessage("be brief"), HumanMessage("密码要放在哪里？"), AIMessage("放在公司的密码管理器里 [1]。")]
    since = len(kb.llm.calls)
    answer = kb.ask("那第二个呢？", history=history)
    rewrite = _prompts(kb, since)[0]
    assert "User: 密码要放在哪里？\nAssistant: 放在公司的密码管理器里。" in rewrite and "be brief" not in rewrite
    assert answer.question == "那第二个呢？" and answer.rewritten == "How long must passwords be?"


def test_async_invoke_and_stream_rewrite_too(kb: KnowledgeBase):
    answer = asyncio.run(kb.aask("And how long must they be?", history=HISTORY))
    assert answer.rewritten == "How long must passwords be?" and answer.citations

    async def events() -> list:
        return [event async for event in kb.astream("And how long must they be?", history=HISTORY)]

    streamed = asyncio.run(events())
    assert all(isinstance(e, TextDelta) for e in streamed[:-1]) and isinstance(streamed[-1], Answer)
    assert streamed[-1].rewritten == "How long must passwords be?"
    assert [e.rewritten for e in kb.stream("And how long must they be?", history=HISTORY)
            if isinstance(e, Answer)] == ["How long must passwords be?"]


def test_chain_input_dict_takes_history(kb: KnowledgeBase):
    answer = kb.chain().invoke({"question": "And how long must they be?", "history": HISTORY})
    assert answer.rewritten == "How long must passwords be?"
    with pytest.raises(InvalidInputError, match=r"got keys \['history', 'question', 'turns'\]"):
        kb.chain().invoke({"question": "q", "history": [], "turns": 1})
    with pytest.raises(InvalidInputError, match="question is empty"):
        kb.chain().invoke({"question": "  ", "history": HISTORY})


@pytest.mark.parametrize(("history", "message"), [
    ("User: hi", "history must be a list"),
    ([("user", "hi", "extra")], r"history\[0\] must be a \(role, text\) pair"),
    ([("user", "hi"), ("robot", "beep")], r"history\[1\] has role 'robot': use 'user' or 'assistant'"),
    ([("user", 3)], r"history\[0\] must be"),
    ([{"role": "user", "content": "hi"}], r"history\[0\] must be"),
])
def test_malformed_history_is_refused_naming_the_item(history, message):
    with pytest.raises(InvalidInputError, match=message):
        parse_history(history)


def test_history_forms_and_formatting():
    turns = parse_history([["Human", " hi "], ("AI", "hello [2]"), ("system", "x"), ("assistant", "  ")])
    assert turns == [("user", "hi"), ("assistant", "hello [2]")]
    assert format_history(turns) == "User: hi\nAssistant: hello"
    long = [("user", f"q{n} " + "word " * 200) for n in range(10)]
    lines = format_history(long, max_turns=3, max_chars=50).splitlines()
    assert [line.split()[1] for line in lines] == ["q7", "q8", "q9"] and all(len(line) <= 56 for line in lines)
    assert parse_input("  q  ") == ("q", [])


def test_standalone_takes_the_first_line_without_labels_or_quotes():
    assert standalone('Standalone question: "How long must passwords be?"\nmore', "q") == "How long must passwords be?"
    assert standalone("独立问题：「密码多久更换一次？」", "q") == "密码多久更换一次？"
    assert standalone("  \n ", "the question") == "the question"


def test_rewriter_alone_calls_the_model_only_with_history():
    model = ScriptedChatModel.saying("What does the Standard plan include?")
    rewriter = QuestionRewriter(llm=model)
    assert rewriter.invoke({"question": "and the second one?"}) == "and the second one?" and not model.calls
    assert rewriter.invoke({"question": "and the second one?", "history": HISTORY}) == (
        "What does the Standard plan include?")
    prompt, params = model.calls[0]
    assert params["max_tokens"] == 64 and params["stop"] == ["\n"] and params["temperature"] == 0.0
    assert prompt.rstrip().endswith("Follow-up question: and the second one?")



def test_follow_ups_are_answered_afresh_not_from_the_cache_but_logged(kb: KnowledgeBase):
    first = kb.ask("And how long must they be?", history=HISTORY)
    since = len(kb.llm.calls)
    again = kb.ask("And how long must they be?", history=HISTORY)
    assert not first.cached and not again.cached and len(kb.llm.calls) - since == 2  # rewrite and answer again
    assert again.event_id and again.event_id != first.event_id
