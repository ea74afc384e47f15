"""Bounded model workers and queue over real HTTP: 503 with Retry-After when full, 504 past the timeout, and a
stream whose client goes away frees its model worker."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from pydantic import Field

from tests.helpers import EXAMPLES_KB
from tests.integration.server.live import Factory, LiveServer, quoting_reply, upload
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.integration

QUESTION = {"index": "docs", "question": "What is the hotel cap in capital cities?"}


def _gated(serve: Factory, gate: threading.Event, **settings) -> LiveServer:
    """A server whose model waits for `gate` before replying."""
    server = serve(llm=ScriptedChatModel(reply=lambda prompt, params: (gate.wait(30), quoting_reply(prompt, params))[1]),
                   **settings)
    with server.client() as client:
        client.post("/v1/kbs", json={"name": "docs"})
        assert upload(client, "docs", sorted(EXAMPLES_KB.iterdir()))["status"] == "done"
    return server


def _wait_until(condition, timeout_s: float = 10) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline
        time.sleep(0.02)


def test_full_queue_is_503_with_retry_after_and_counted(serve: Factory):
    gate = threading.Event()
    server = _gated(serve, gate, workers=1, queue=1, retry_after_s=7)
    with server.client() as client, ThreadPoolExecutor(2) as pool:
        first = pool.submit(client.post, "/v1/ask", json=QUESTION)
        _wait_until(lambda: server.state.pool.busy == 1)
        second = pool.submit(client.post, "/v1/ask", json=QUESTION)
        _wait_until(lambda: server.state.pool.waiting == 1)
        refused = client.post("/v1/ask", json=QUESTION)
        assert refused.status_code == 503 and refused.headers["retry-after"] == "7"
        assert "ragkit_serve_queue_depth 1.0" in client.get("/metrics").text
        gate.set()
        assert first.result().status_code == 200 and second.result().status_code == 200
        assert "ragkit_serve_rejected_total 1.0" in client.get("/metrics").text


def test_answer_past_the_timeout_is_504_and_frees_the_worker(serve: Factory):
    gate = threading.Event()
    server = _gated(serve, gate, request_timeout_s=0.5)
    with server.client() as client:
        started = time.monotonic()
        response = client.post("/v1/ask", json=QUESTION)
        assert response.status_code == 504 and time.monotonic() - started < 5
        gate.set()
        _wait_until(lambda: server.state.workers.in_flight == 0)


class _Ticking(ScriptedChatModel):
    """Streams 200 ticks, 0.02 s apart (4 s), recording each one it produced."""

    produced: list[str] = Field(default_factory=list)

    def _stream(self, messages, stop=None, run_manager=None, **kwargs):
        from langchain_core.messages import AIMessageChunk
        from langchain_core.outputs import ChatGenerationChunk

        for word in ["tick "] * 200:
            self.produced.append(word)
            time.sleep(0.02)
            yield ChatGenerationChunk(message=AIMessageChunk(content=word))


def _ticking(serve: Factory) -> tuple[LiveServer, _Ticking]:
    model = _Ticking(reply=quoting_reply)
    server = serve(llm=model)
    with server.client() as client:
        client.post("/v1/kbs", json={"name": "docs"})
        upload(client, "docs", sorted(EXAMPLES_KB.iterdir()))
    return server, model


def test_disconnected_stream_stops_generating_and_frees_the_worker(serve: Factory):
    server, model = _ticking(serve)
    with server.client() as client:
        with client.stream("POST", "/v1/ask", json={**QUESTION, "stream": True}) as response:
            for line in response.iter_lines():
                if line.startswith("event: delta"):
                    break
    _wait_until(lambda: server.state.workers.in_flight == 0 and server.state.pool.busy == 0)
    assert len(model.produced) < 100  # stopped long before the 200 tokens (4 s) it would have generated


@pytest.mark.parametrize("route", ["/v1/ask", "/v1/chat/completions"])
def test_client_giving_up_on_a_json_answer_stops_generating_and_frees_the_worker(serve: Factory, route: str):
    server, model = _ticking(serve)
    body = QUESTION if route == "/v1/ask" else {"model": "kb:docs", "messages": [{"role": "user",
                                                                                  "content": QUESTION["question"]}]}
    with httpx.Client(base_url=server.url, timeout=0.5) as client, pytest.raises(httpx.ReadTimeout):
        client.post(route, json=body)
    _wait_until(lambda: server.state.workers.in_flight == 0 and server.state.pool.busy == 0)
    assert len(model.produced) < 100
    with server.client() as client:
        assert 'status="499"' in client.get("/metrics").text


def test_retrieval_of_other_requests_runs_while_a_model_generates(serve: Factory):
    gate = threading.Event()
    server = _gated(serve, gate, workers=1, queue=4)
    with server.client() as client, ThreadPoolExecutor(1) as pool:
        generating = pool.submit(client.post, "/v1/ask", json=QUESTION)
        _wait_until(lambda: server.state.pool.busy == 1)
        refusal = client.post("/v1/ask", json={"index": "docs", "question": "zzqx vvkw"})  # retrieval only
        assert refusal.status_code == 200 and refusal.json()["found"] is False
        assert not generating.done()
        gate.set()
        assert generating.result().status_code == 200


def test_two_workers_generate_at_the_same_time(serve: Factory):
    gate = threading.Event()
    server = _gated(serve, gate, workers=2, queue=0)
    with server.client() as client, ThreadPoolExecutor(2) as pool:
        answers = [pool.submit(client.post, "/v1/ask", json=QUESTION) for _ in range(2)]
        _wait_until(lambda: server.state.pool.busy == 2)
        assert client.post("/v1/ask", json=QUESTION).status_code == 503  # 2 generating, no queue
        gate.set()
        assert [a.result().status_code for a in answers] == [200, 200]


def test_llama_workers_have_their_own_contexts_so_one_generates_while_another_is_held():
    from ragkit.server.pool import worker_models

    first, second = worker_models("gemma3-270m", 2)
    (llama_a, lock_a), (llama_b, lock_b) = first._llama(), second._llama()
    assert llama_a is not llama_b and lock_a is not lock_b
    replies: list[str] = []
    with lock_a:  # the first worker is busy generating
        thread = threading.Thread(target=lambda: replies.append(second.invoke("Say hi.", max_tokens=4).text))
        thread.start()
        thread.join(120)
    assert replies and isinstance(replies[0], str)
