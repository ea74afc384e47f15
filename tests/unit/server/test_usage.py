"""Token usage recorded by the model pool into the answer being produced, and the worker models of a server."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage

from ragkit import Answer, TextDelta
from ragkit.server import usage
from ragkit.server.pool import ModelPool, PooledChatModel, worker_models
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit


def _answer() -> Answer:
    return Answer("q", "a", [], [], "m", {}, {"total_s": 1.0})


def _events(llm: PooledChatModel, stream: bool) -> Any:
    """What a chain does: generate, then yield the Answer."""
    if stream:
        for chunk in llm.stream([HumanMessage("one two three")]):
            yield TextDelta(chunk.text)
    else:
        yield TextDelta(llm.invoke([HumanMessage("one two three")]).text)
    yield _answer()


def test_reported_counts_reach_the_answer_timings():
    class Reporting(ScriptedChatModel):
        def _generate(self, messages, stop=None, run_manager=None, **kwargs):
            result = super()._generate(messages, stop, run_manager, **kwargs)
            result.generations[0].message.usage_metadata = {"input_tokens": 7, "output_tokens": 2, "total_tokens": 9}
            return result

    llm = PooledChatModel(pool=ModelPool([Reporting(reply=lambda prompt, params: "你好 world")]))
    *_, answer = usage.with_usage(_events(llm, stream=False))
    assert usage.tokens_of(answer.timings) == (7, 2)


@pytest.mark.parametrize("stream", [False, True])
def test_the_tokenizer_counts_when_the_model_reports_nothing(monkeypatch: pytest.MonkeyPatch, stream: bool):
    monkeypatch.setattr(usage, "tokenizer", lambda model: lambda text: len(text.split()))
    llm = PooledChatModel(pool=ModelPool([ScriptedChatModel(reply=lambda prompt, params: "a b c d")]))
    *_, answer = usage.with_usage(_events(llm, stream))
    assert usage.tokens_of(answer.timings) == (3, 4)


def test_no_counts_without_counts_or_tokenizer_and_none_outside_an_answer():
    llm = PooledChatModel(pool=ModelPool([ScriptedChatModel(reply=lambda prompt, params: "a b")]))
    *_, answer = usage.with_usage(_events(llm, stream=True))
    assert usage.tokens_of(answer.timings) is None
    usage.record(llm, [HumanMessage("x")], AIMessage("y", usage_metadata={"input_tokens": 1, "output_tokens": 1,
                                                                           "total_tokens": 2}))  # no recorder: no-op


def test_chain_keys_stay_and_answers_in_other_threads_do_not_mix(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(usage, "tokenizer", lambda model: lambda text: len(text.split()))
    llm = PooledChatModel(pool=ModelPool([ScriptedChatModel(reply=lambda prompt, params: "a")]))

    def preset() -> Any:
        llm.invoke("x y")
        answer = _answer()
        answer.timings.update(prompt_tokens=50, decode_tokens=5)  # the chain's counts of its answer generation
        yield answer

    results: list[Answer] = []
    threads = [threading.Thread(target=lambda: results.extend(usage.with_usage(_events(llm, True)))) for _ in range(4)]
    for thread in threads:
        thread.start()
    *_, chain_counted = usage.with_usage(preset())
    for thread in threads:
        thread.join()
    assert chain_counted.timings["prompt_tokens"] == 50 and usage.tokens_of(chain_counted.timings) == (2, 1)
    assert [usage.tokens_of(a.timings) for a in results if isinstance(a, Answer)] == [(3, 1)] * 4


def test_closing_the_events_closes_the_generation():
    closed = threading.Event()

    def endless() -> Any:
        try:
            while True:
                yield TextDelta("tick")
        finally:
            closed.set()

    events = usage.with_usage(endless())
    assert next(events) == TextDelta("tick")
    events.close()
    assert closed.is_set()


def test_each_worker_gets_its_own_llama_context_and_a_share_of_the_cores():
    one, = worker_models("gemma3-270m", 1)
    assert not one.own_context and one.n_threads is None  # one worker shares the process's model
    models = worker_models("gemma3-270m", 2)
    assert all(m.own_context for m in models) and models[0] is not models[1]
    assert all(m.n_threads and m.n_threads >= 1 for m in models)
