"""Multi-turn over HTTP: /v1/ask's history and chat completions' earlier messages make a follow-up standalone before
retrieval, and the rewrite is shown in the JSON answer (scripted model, real server)."""

from __future__ import annotations

from typing import Any

import openai
import pytest

from tests.integration.server.live import FOLLOW_UP, Factory, LiveServer, quoting_reply, sse_json, with_docs
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.integration

HISTORY = [{"role": "user", "content": "Where must I keep my passwords?"},
           {"role": "assistant", "content": "In the company password manager [1]."}]
FOLLOW = "And how long must they be?"
STANDALONE = "How long must passwords be?"


def _rewriting(prompt: str, params: dict[str, Any]) -> str:
    if FOLLOW_UP + FOLLOW in prompt:
        return STANDALONE
    return quoting_reply(prompt, params)


@pytest.fixture()
def server(serve: Factory) -> LiveServer:
    return with_docs(serve(llm=lambda: ScriptedChatModel(reply=_rewriting)))


def test_ask_with_history_answers_the_rewritten_question(server: LiveServer):
    with server.client() as client:
        answer = client.post("/v1/ask", json={"index": "docs", "question": FOLLOW, "history": HISTORY}).json()
        alone = client.post("/v1/ask", json={"index": "docs", "question": FOLLOW}).json()
    assert answer["question"] == FOLLOW and answer["rewritten"] == STANDALONE
    assert answer["citations"][0]["source"] == "security.txt" and "14 characters" in answer["text"]
    assert "Question: " + STANDALONE in server.state.pool.models[0].calls[-2][0]  # retrieved and answered
    assert alone["rewritten"] == "" and "timings" in alone and "rewrite_s" not in alone["timings"]


def test_streamed_answer_shows_the_rewrite(server: LiveServer):
    body = {"index": "docs", "question": FOLLOW, "history": HISTORY, "stream": True}
    with server.client() as client, client.stream("POST", "/v1/ask", json=body) as response:
        events = sse_json(response)
    assert events[-1][0] == "answer" and events[-1][1]["rewritten"] == STANDALONE


def test_chat_completions_take_earlier_messages_as_history(server: LiveServer):
    client = openai.OpenAI(base_url=server.url + "/v1", api_key="unused-on-loopback", max_retries=0)
    messages = [{"role": "system", "content": "Be brief."}, *HISTORY, {"role": "user", "content": FOLLOW}]
    reply = client.chat.completions.create(model="kb:docs", messages=messages)
    assert reply.model_extra["ragkit"]["rewritten"] == STANDALONE
    assert reply.choices[0].message.model_extra["citations"][0]["source"] == "security.txt"
    chunks = list(client.chat.completions.create(model="kb:docs", messages=messages, stream=True))
    assert chunks[-1].model_extra["ragkit"]["rewritten"] == STANDALONE
    rewrite_prompt = next(p for p, _ in server.state.pool.models[0].calls if FOLLOW_UP in p)
    assert "User: Where must I keep my passwords?\nAssistant: In the company password manager." in rewrite_prompt
    assert "Be brief" not in rewrite_prompt


@pytest.mark.parametrize(("history", "field"), [
    ([{"role": "robot", "content": "x"}], "body.history.0.role"),
    ([{"role": "user"}], "body.history.0.content"),
    ("Where must I keep my passwords?", "body.history"),
    ([{"role": "user", "content": "x", "name": "bob"}], "body.history.0.name"),
])
def test_malformed_history_is_422_naming_the_field(server: LiveServer, history, field):
    with server.client() as client:
        response = client.post("/v1/ask", json={"index": "docs", "question": FOLLOW, "history": history})
    assert response.status_code == 422 and response.json()["error"]["param"] == field, response.text
