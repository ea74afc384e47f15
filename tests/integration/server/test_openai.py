"""The OpenAI-compatible API driven by the official openai client and by LangChain's ChatOpenAI, unchanged."""

from __future__ import annotations

import openai
import pytest
from langchain_openai import ChatOpenAI

from tests.integration.server.live import LiveServer

pytestmark = pytest.mark.integration

QUESTION = "What is the hotel cap in capital cities?"


def _client(server: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key="unused-on-loopback", max_retries=0)


def test_models_list_the_knowledge_bases(docs: LiveServer):
    assert [m.id for m in _client(docs).models.list()] == ["kb:docs"]


def test_chat_completion_answers_the_last_user_message_with_citations(docs: LiveServer):
    reply = _client(docs).chat.completions.create(model="kb:docs", max_tokens=64, messages=[
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "How do I book flights?"},
        {"role": "assistant", "content": "Through the portal [1]."},
        {"role": "user", "content": QUESTION},
    ])
    message = reply.choices[0].message
    assert "180 euros" in message.content and reply.model == "kb:docs"
    assert reply.choices[0].finish_reason == "stop"
    citations = message.model_extra["citations"]
    assert citations[0]["source"] == "travel-policy.pdf" and citations[0]["n"] == 1
    assert reply.model_extra["ragkit"]["found"] is True


def test_streamed_chat_completion_ends_with_citations_then_done(docs: LiveServer):
    chunks = list(_client(docs).chat.completions.create(model="kb:docs", stream=True,
                                                        messages=[{"role": "user", "content": QUESTION}]))
    text = "".join(c.choices[0].delta.content or "" for c in chunks)
    assert "180 euros" in text
    last = chunks[-1]
    assert last.choices[0].finish_reason == "stop"
    assert last.choices[0].delta.model_extra["citations"][0]["source"] == "travel-policy.pdf"
    assert last.model_extra["ragkit"]["text"] == text.strip()


def test_unknown_knowledge_base_and_non_kb_model_are_clear_errors(docs: LiveServer):
    client = _client(docs)
    with pytest.raises(openai.NotFoundError, match="unknown knowledge base 'nope'"):
        client.chat.completions.create(model="kb:nope", messages=[{"role": "user", "content": "q"}])
    with pytest.raises(openai.UnprocessableEntityError, match="body.model"):
        client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "q"}])
    with pytest.raises(openai.UnprocessableEntityError, match="body.messages"):
        client.chat.completions.create(model="kb:docs", messages=[{"role": "system", "content": "no question"}])


def test_langchain_chat_openai_invokes_and_streams(docs: LiveServer):
    llm = ChatOpenAI(base_url=docs.url + "/v1", api_key="unused-on-loopback", model="kb:docs", max_retries=0)
    assert "180 euros" in llm.invoke(QUESTION).content
    assert "180 euros" in "".join(chunk.text for chunk in llm.stream(QUESTION))
