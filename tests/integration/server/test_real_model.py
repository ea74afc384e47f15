"""One answer from the real packaged fast model through the real server (llama.cpp behind the model pool), and
the OpenAI usage counted with its tokenizer."""

from __future__ import annotations

import openai
import pytest

from tests.helpers import EXAMPLES_KB
from tests.integration.server.live import Factory, sse_json, upload

pytestmark = [pytest.mark.integration, pytest.mark.slow]


def test_gemma3_270m_answers_with_a_citation_json_and_streamed(serve: Factory):
    from ragkit.models import chat_model

    server = serve(llm=lambda: chat_model("llamacpp", "gemma3-270m"), preload=True)
    with server.client() as client:
        assert client.get("/readyz").status_code == 200
        client.post("/v1/kbs", json={"name": "docs"})
        assert upload(client, "docs", sorted(EXAMPLES_KB.iterdir()))["status"] == "done"
        question = {"index": "docs", "question": "What is the hotel cap in capital cities?", "max_tokens": 48}
        answer = client.post("/v1/ask", json=question).json()
        with client.stream("POST", "/v1/ask", json={**question, "stream": True}) as response:
            events = sse_json(response)
    chat = openai.OpenAI(base_url=server.url + "/v1", api_key="unused", max_retries=0).chat.completions
    # Other wordings than the question above, which the answer cache now answers without the model (no tokens).
    asked = ("What is the hotel cap in a capital city?", "What is the hotel limit in capital cities?")
    usage = chat.create(model="kb:docs", messages=[{"role": "user", "content": asked[0]}], max_tokens=48).usage
    *_, last = chat.create(model="kb:docs", messages=[{"role": "user", "content": asked[1]}], max_tokens=48,
                           stream=True, stream_options={"include_usage": True})
    for counted in (usage, last.usage):  # the reply re-tokenized: about 48
        assert counted.prompt_tokens > 100 and 0 < counted.completion_tokens <= 56, counted
    assert answer["found"] and answer["model"].startswith("gemma3-270m")
    assert answer["citations"] and answer["citations"][0]["source"] == "travel-policy.pdf"
    assert events[-1][0] == "answer" and events[-1][1]["text"] == answer["text"]  # greedy: the same answer
