"""One algorithm, two drivers: the same events sync and async, a failed request raised inside the algorithm (where
it can be handled), a consumer that stops reading closing the algorithm, a cancellation raised in it."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from langchain_core.runnables import RunnableGenerator, RunnableLambda

from ragkit import Answer, TextDelta
from ragkit.chains.driver import END, Blocking, Invoke, Open, Read, Steps, adrive, alast, drive, last

pytestmark = pytest.mark.unit
SHOUT = RunnableLambda(lambda text: text.upper())


def _words(texts: Iterator[str]) -> Iterator[str]:
    for text in texts:
        yield from text.split()


async def _awords(texts: AsyncIterator[str]) -> AsyncIterator[str]:
    async for text in texts:
        for word in text.split():
            yield word


WORDS = RunnableGenerator(_words, _awords)
"""A streaming Runnable: one chunk a word."""


def _answer(text: str) -> Answer:
    return Answer("q", text, [], [], "m", {})


def echo(seen: list[str]) -> Steps:
    """Shout the question, stream its words as deltas, record what happened (a blocking call), answer."""
    shouted = yield Invoke(SHOUT, "flights 航班 booked")
    stream = yield Open(WORDS, shouted)
    words = []
    try:
        while (word := (yield Read(stream))) is not END:
            words.append(word)
            yield TextDelta(word)
    except GeneratorExit:
        seen.append("closed")
        raise
    yield Blocking(lambda: seen.append(" ".join(words)))
    yield _answer(" ".join(words))


def test_both_drivers_give_the_same_events_and_results():
    sync_seen: list[str] = []
    events = list(drive(echo(sync_seen)))
    assert events == [TextDelta("FLIGHTS"), TextDelta("航班"), TextDelta("BOOKED"), _answer("FLIGHTS 航班 BOOKED")]

    async def run() -> list[Any]:
        return [event async for event in adrive(echo(async_seen))]

    async_seen: list[str] = []
    assert asyncio.run(run()) == events and async_seen == sync_seen == ["FLIGHTS 航班 BOOKED"]
    assert last(drive(echo([]))) == asyncio.run(alast(adrive(echo([])))) == events[-1]


def _fails(_: str) -> str:
    raise ValueError("no model")


def recovering(handled: list[str]) -> Steps:
    try:
        yield Invoke(RunnableLambda(_fails), "x")
    except ValueError as exc:
        handled.append(str(exc))
    yield _answer("recovered")


def test_a_failed_request_is_raised_inside_the_algorithm():
    handled: list[str] = []
    assert last(drive(recovering(handled))).text == "recovered" and handled == ["no model"]
    assert asyncio.run(alast(adrive(recovering(handled)))).text == "recovered" and handled == ["no model"] * 2

    def unhandled() -> Steps:
        yield Invoke(RunnableLambda(_fails), "x")

    with pytest.raises(ValueError, match="no model"):
        list(drive(unhandled()))


def test_a_consumer_that_stops_reading_closes_the_algorithm():
    seen: list[str] = []
    events = drive(echo(seen))
    assert next(events) == TextDelta("FLIGHTS")
    events.close()
    assert seen == ["closed"]

    async def early() -> None:
        stream = adrive(echo(seen))
        await anext(stream)
        await stream.aclose()

    asyncio.run(early())
    assert seen == ["closed", "closed"]


def test_a_cancelled_request_is_raised_in_the_algorithm():
    cancelled: list[bool] = []
    started = asyncio.Event()

    async def slow(_: str) -> str:
        started.set()
        await asyncio.sleep(60)
        return "never"

    def waiting() -> Steps:
        try:
            yield Invoke(RunnableLambda(lambda _: "", afunc=slow), "x")
        except asyncio.CancelledError:
            cancelled.append(True)
            raise
        yield _answer("never")

    async def run() -> None:
        task = asyncio.create_task(alast(adrive(waiting())))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(run())
    assert cancelled == [True]
