"""OpenAI `usage` of chat completions (non-streamed, and streamed with stream_options.include_usage) from the model's
own token counts, read unchanged by the official openai client and LangChain's ChatOpenAI, and counted in /metrics."""

from __future__ import annotations

import re
from typing import Any

import openai
import pytest
from langchain_core.messages import AIMessageChunk
from langchain_core.outputs import ChatGenerationChunk
from langchain_openai import ChatOpenAI

from tests.helpers import EXAMPLES_KB
from tests.integration.server.live import Factory, LiveServer, quoting_reply, upload
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.integration

QUESTION = "What is the hotel cap in capital cities?"
AGAIN = "How much is the hotel cap in capital cities?"
"""The same question in other words: not an answer-cache hit, which would use no tokens."""


class Counting(ScriptedChatModel):
    """Streams like the scripted model and reports usage on a last empty chunk, as llama.cpp counts it: prompt
    tokens = words of the prompt, completion tokens = streamed pieces."""

    def _stream(self, messages: Any, stop: Any = None, run_manager: Any = None, **kwargs: Any):
        pieces = list(super()._stream(messages, stop, run_manager, **kwargs))
        yield from pieces
        prompt = len(self.calls[-1][0].split())
        yield ChatGenerationChunk(message=AIMessageChunk(content="", usage_metadata={
            "input_tokens": prompt, "output_tokens": len(pieces), "total_tokens": prompt + len(pieces)}))


@pytest.fixture()
def counted(serve: Factory) -> tuple[LiveServer, Counting]:
    model = Counting(reply=quoting_reply)
    server = serve(llm=model)
    with server.client() as client:
        assert client.post("/v1/kbs", json={"name": "docs"}).status_code == 201
        assert upload(client, "docs", sorted(EXAMPLES_KB.iterdir()))["status"] == "done"
    return server, model


def _expected(model: Counting) -> tuple[int, int]:
    prompt, params = model.calls[-1]
    reply = quoting_reply(prompt, params)
    return len(prompt.split()), len(re.split(r"(?<=\s)(?=\S)", reply))


def _openai(server: LiveServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key="unused-on-loopback", max_retries=0)


def test_completion_usage_is_the_models_count(counted: tuple[LiveServer, Counting]):
    server, model = counted
    reply = _openai(server).chat.completions.create(model="kb:docs", messages=[{"role": "user", "content": QUESTION}])
    prompt, completion = _expected(model)
    assert completion > 1 and prompt > 20
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens, reply.usage.total_tokens) == (
        prompt, completion, prompt + completion)
    assert reply.model_extra["ragkit"]["timings"]["usage_completion_tokens"] == completion


def test_streamed_usage_only_when_asked_for_and_last(counted: tuple[LiveServer, Counting]):
    server, model = counted
    client = _openai(server)
    messages = [{"role": "user", "content": QUESTION}]
    plain = list(client.chat.completions.create(model="kb:docs", stream=True, messages=messages))
    assert all(chunk.usage is None for chunk in plain)
    chunks = list(client.chat.completions.create(model="kb:docs", stream=True,
                                                 messages=[{"role": "user", "content": AGAIN}],
                                                 stream_options={"include_usage": True}))
    prompt, completion = _expected(model)
    *text_chunks, last = chunks
    assert last.choices == [] and last.usage.prompt_tokens == prompt and last.usage.completion_tokens == completion
    assert text_chunks[-1].choices[0].finish_reason == "stop"
    assert all(chunk.usage is None for chunk in text_chunks)


def test_langchain_chat_openai_reads_usage_invoked_and_streamed(counted: tuple[LiveServer, Counting]):
    server, model = counted
    llm = ChatOpenAI(base_url=server.url + "/v1", api_key="unused-on-loopback", model="kb:docs", max_retries=0,
                     stream_usage=True)
    invoked = llm.invoke(QUESTION)
    prompt, completion = _expected(model)
    assert invoked.usage_metadata["input_tokens"] == prompt
    assert invoked.usage_metadata["output_tokens"] == completion
    streamed = None
    for chunk in llm.stream(AGAIN):
        streamed = chunk if streamed is None else streamed + chunk
    assert "180 euros" in streamed.text
    prompt, completion = _expected(model)
    assert streamed.usage_metadata["input_tokens"] == prompt
    assert streamed.usage_metadata["total_tokens"] == prompt + completion


def test_metrics_count_prompt_and_completion_tokens(counted: tuple[LiveServer, Counting]):
    server, model = counted
    client = _openai(server)
    total = [0, 0]
    for question in (QUESTION, "差旅政策的酒店上限？"):
        reply = client.chat.completions.create(model="kb:docs", messages=[{"role": "user", "content": question}])
        total[0] += reply.usage.prompt_tokens
        total[1] += reply.usage.completion_tokens
    with server.client() as http:
        text = http.get("/metrics").text
    assert f'ragkit_serve_tokens_total{{index="docs",kind="prompt"}} {float(total[0])}' in text
    assert f'ragkit_serve_tokens_total{{index="docs",kind="completion"}} {float(total[1])}' in text


def test_nothing_found_is_zero_usage(counted: tuple[LiveServer, Counting]):
    server, _ = counted
    reply = _openai(server).chat.completions.create(model="kb:docs", messages=[{"role": "user", "content": "zzqx vvkw"}])
    assert reply.model_extra["ragkit"]["found"] is False
    assert (reply.usage.prompt_tokens, reply.usage.completion_tokens) == (0, 0)


def test_a_model_without_counts_or_tokenizer_gives_no_usage(docs: LiveServer):
    reply = _openai(docs).chat.completions.create(model="kb:docs", messages=[{"role": "user", "content": QUESTION}])
    assert "180 euros" in reply.choices[0].message.content and reply.usage is None


def test_an_answer_cache_hit_uses_no_tokens(counted: tuple[LiveServer, Counting]):
    server, _ = counted
    client = _openai(server)
    first, hit = (client.chat.completions.create(model="kb:docs", messages=[{"role": "user", "content": QUESTION}])
                  for _ in range(2))
    assert first.usage.completion_tokens > 0 and not first.model_extra["ragkit"]["cached"]
    assert hit.model_extra["ragkit"]["cached"] and (hit.usage.prompt_tokens, hit.usage.completion_tokens) == (0, 0)
