"""Answer workers (admission, deadline, cancellation) and the model pool."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from langchain_core.messages import HumanMessage

from ragkit.kb import KnowledgeBase
from ragkit.models import chat_model, identity_of, trained_prompt
from ragkit.server.errors import AnswerTimeoutError, QueueFullError
from ragkit.server.pool import ModelPool, PooledChatModel, worker_models
from ragkit.server.workers import AnswerWorkers
from tests.helpers import EXAMPLES_KB
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit


async def test_events_arrive_and_errors_are_raised_in_the_consumer():
    workers = AnswerWorkers(2, timeout_s=5)
    assert [e async for e in workers.start(lambda: iter([1, 2, 3]))] == [1, 2, 3]

    def failing():
        yield 1
        raise ValueError("boom")

    stream = workers.start(failing)
    assert await anext(stream) == 1
    with pytest.raises(ValueError, match="boom"):
        await anext(stream)
    await asyncio.sleep(0.05)
    assert workers.in_flight == 0


async def test_capacity_is_enforced_and_cancellation_closes_the_producer():
    gate, closed = threading.Event(), threading.Event()

    def slow():
        try:
            while True:
                gate.wait(5)
                yield "tick"
        finally:
            closed.set()

    workers = AnswerWorkers(1, timeout_s=5)
    stream = workers.start(slow)
    with pytest.raises(QueueFullError):
        workers.start(slow)
    gate.set()
    assert await anext(stream) == "tick"
    await stream.aclose()
    assert await asyncio.to_thread(closed.wait, 5)
    await asyncio.sleep(0.05)
    assert workers.in_flight == 0


async def test_a_consumer_cancelled_while_events_arrive_stops_the_producer():
    """The route's task is cancelled when its client goes away; the cancellation must reach the producer even when
    it lands just as an event arrives (Python 3.11's wait_for returned the event instead: generation ran on)."""
    produced: list[int] = []

    def fast():
        for i in range(20000):
            produced.append(i)
            time.sleep(0.0002)
            yield i

    stream = AnswerWorkers(1, timeout_s=5).start(fast)
    seen: list[int] = []

    async def consume() -> None:
        async for event in stream:
            seen.append(event)

    task = asyncio.ensure_future(consume())
    while len(seen) < 3:
        await asyncio.sleep(0.001)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await asyncio.sleep(0.2)
    assert len(produced) < 10000  # 20000 take over 4 s


async def test_deadline_raises_and_stops_the_producer():
    closed = threading.Event()

    def silent():
        try:
            time.sleep(0.5)
            yield "late"
        finally:
            closed.set()

    stream = AnswerWorkers(1, timeout_s=0.1).start(silent)
    with pytest.raises(AnswerTimeoutError, match="0.1 s"):
        await anext(stream)
    assert await asyncio.to_thread(closed.wait, 5)


def test_pooled_model_spreads_calls_and_counts_waiting():
    a = ScriptedChatModel(reply=lambda prompt, params: "from a")
    b = ScriptedChatModel(reply=lambda prompt, params: "from b")
    pool = ModelPool([a, b])
    llm = PooledChatModel(pool=pool)
    with pool.borrow() as first:
        assert pool.busy == 1
        reply = llm.invoke([HumanMessage("hi")], max_tokens=5)
        other = b if first is a else a
        assert reply.content == f"from {'b' if other is b else 'a'}"
        assert other.calls[-1][1]["max_tokens"] == 5
    assert pool.busy == 0 and pool.waiting == 0
    chunks = list(llm.stream("你好"))
    assert "".join(c.text for c in chunks) in ("from a", "from b")
    assert llm.identity == identity_of(a) and llm.identity.name == "ScriptedChatModel"


async def test_an_answer_abandoned_while_waiting_for_a_model_frees_its_slot_without_taking_one():
    model = ScriptedChatModel(reply=lambda prompt, params: "late")
    pool = ModelPool([model])
    llm = PooledChatModel(pool=pool)
    workers = AnswerWorkers(2, timeout_s=0.2)
    with pool.borrow():  # the only model is busy for the whole test
        stream = workers.start(lambda: iter([llm.invoke("hi").text]))
        with pytest.raises(AnswerTimeoutError):
            await anext(stream)
        deadline = time.monotonic() + 5
        while workers.in_flight and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        assert workers.in_flight == 0 and pool.waiting == 0
    assert model.calls == []  # it never generated


def test_a_freed_model_goes_to_the_generation_that_waited_longest():
    pool = ModelPool([ScriptedChatModel.saying("x")])
    served: list[int] = []

    def wait_for_a_model(number: int) -> None:
        with pool.borrow():
            served.append(number)
            time.sleep(0.01)

    with pool.borrow():  # the only model is busy while eight generations line up, 30 ms apart
        threads = []
        for number in range(8):
            threads.append(threading.Thread(target=wait_for_a_model, args=(number,)))
            threads[-1].start()
            deadline = time.monotonic() + 5
            while pool.waiting < number + 1 and time.monotonic() < deadline:
                time.sleep(0.005)
            time.sleep(0.03)
        assert pool.waiting == 8 and pool.busy == 1
    for thread in threads:
        thread.join(5)
    assert served == list(range(8)) and pool.waiting == 0 and pool.busy == 0


def test_the_pool_answers_as_its_models_identity_and_refuses_mixed_models():
    pooled = PooledChatModel(pool=ModelPool(worker_models("gemma3-270m-squad", 2)))
    alone = chat_model("llamacpp", "gemma3-270m-squad")
    assert pooled.identity == alone.identity and identity_of(pooled).name == "gemma3-270m-squad"
    assert trained_prompt(pooled) == trained_prompt(alone) == "qa-extractive"  # the adapter's prompt, not rag-answer
    with pytest.raises(ValueError, match="share one identity"):
        ModelPool([chat_model("llamacpp", "gemma3-270m"), chat_model("llamacpp", "gemma3-270m-squad")])


def test_a_knowledge_base_on_the_pool_picks_the_prompt_the_preset_was_trained_on(tmp_path, hashing):
    pooled = PooledChatModel(pool=ModelPool(worker_models("gemma3-270m-squad", 1)))
    kb = KnowledgeBase(path=tmp_path / "idx", embedder=hashing, llm=pooled)
    kb.index([EXAMPLES_KB])
    assert kb.chain().prompt.metadata["prompt_id"] == "qa-extractive"  # nothing loaded: the identity says it
