"""An answering algorithm written once, driven sync or async.

The algorithm is a generator that yields the answer's events (TextDelta, Answer) and requests for I/O, and
receives each request's result: a Runnable to invoke, a stream to open and read chunk by chunk, a blocking call
(a database). `drive` fulfils the requests in the caller's thread, `adrive` awaits them (blocking calls in a worker
thread), so the algorithm never does I/O itself and sync and async cannot drift apart, as the reasoning chains'
engine does for model calls. A request that fails is raised inside the algorithm, where it may be handled; a
consumer that stops reading closes the algorithm (GeneratorExit at its last event).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Generator, Iterator
from contextlib import closing
from dataclasses import dataclass
from typing import Any

from langchain_core.runnables import Runnable, RunnableConfig

from ragkit.answer import Answer, RagEvent

END = object()
"""What reading a stream returns after its last chunk."""


@dataclass(frozen=True)
class Invoke:
    """Invoke a Runnable on an input; the result is its output."""

    runnable: Runnable[Any, Any]
    input: Any

    def call(self, config: RunnableConfig | None) -> Any:
        return self.runnable.invoke(self.input, config)

    async def acall(self, config: RunnableConfig | None) -> Any:
        return await self.runnable.ainvoke(self.input, config)


@dataclass(frozen=True)
class Open:
    """Start streaming a Runnable on an input; the result is the stream, to `Read`."""

    runnable: Runnable[Any, Any]
    input: Any

    def call(self, config: RunnableConfig | None) -> Any:
        return iter(self.runnable.stream(self.input, config))

    async def acall(self, config: RunnableConfig | None) -> Any:
        return aiter(self.runnable.astream(self.input, config))


@dataclass(frozen=True)
class Read:
    """The next chunk of an opened stream, END after the last."""

    stream: Any

    def call(self, config: RunnableConfig | None) -> Any:
        return next(self.stream, END)

    async def acall(self, config: RunnableConfig | None) -> Any:
        return await anext(self.stream, END)


@dataclass(frozen=True)
class Blocking:
    """A blocking call (a database read or write), run in a worker thread when driven async."""

    action: Callable[[], Any]

    def call(self, config: RunnableConfig | None) -> Any:
        return self.action()

    async def acall(self, config: RunnableConfig | None) -> Any:
        return await asyncio.to_thread(self.action)


Request = Invoke | Open | Read | Blocking
Steps = Generator[RagEvent | Request, Any, None]
"""An answering algorithm: yields events and requests, receives each request's result."""


class _Stepper:
    """Advances an algorithm: sends it the last result, or raises in it the last request's failure."""

    def __init__(self, steps: Steps):
        self.steps = steps
        self.result: Any = None
        self.failure: BaseException | None = None

    def __iter__(self) -> Iterator[RagEvent | Request]:
        """The algorithm's events and requests until it finishes; set `result` or `failure` between them."""
        while True:
            failure, self.failure, result, self.result = self.failure, None, self.result, None
            try:
                yield self.steps.send(result) if failure is None else self.steps.throw(failure)
            except StopIteration:
                return

    def fulfil(self, request: Request, config: RunnableConfig | None) -> None:
        try:
            self.result = request.call(config)
        except Exception as exc:
            self.failure = exc


_REQUESTS = (Invoke, Open, Read, Blocking)


def drive(steps: Steps, config: RunnableConfig | None = None) -> Iterator[RagEvent]:
    """The algorithm's events, its requests fulfilled in this thread."""
    stepper = _Stepper(steps)
    with closing(steps):
        for step in stepper:
            if isinstance(step, _REQUESTS):
                stepper.fulfil(step, config)
            else:
                yield step


async def adrive(steps: Steps, config: RunnableConfig | None = None) -> AsyncIterator[RagEvent]:
    """The algorithm's events, its requests awaited (a cancellation is raised in the algorithm too)."""
    stepper = _Stepper(steps)
    with closing(steps):
        for step in stepper:
            if not isinstance(step, _REQUESTS):
                yield step
                continue
            try:
                stepper.result = await step.acall(config)
            except (Exception, asyncio.CancelledError) as exc:
                stepper.failure = exc


def last(events: Iterator[RagEvent]) -> Answer:
    """The Answer that ends a stream of events."""
    *_, answer = events
    assert isinstance(answer, Answer)
    return answer


async def alast(events: AsyncIterator[RagEvent]) -> Answer:
    """The Answer that ends an async stream of events."""
    answer = [event async for event in events][-1]
    assert isinstance(answer, Answer)
    return answer
