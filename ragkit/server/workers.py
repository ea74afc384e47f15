"""Answer streams run in threads and are consumed from the event loop, with admission control and a deadline.

At most `capacity` answers are in flight (generating or waiting for a model); one more is refused at once
(QueueFullError, a 503), so a burst never piles up unbounded work. A stream the consumer stops reading (client
disconnected, deadline passed) is closed in its thread at the next event, which stops the generation.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextvars import copy_context
from typing import Generic, TypeVar

from starlette.types import Receive

from ragkit.server.errors import AnswerTimeoutError, QueueFullError
from ragkit.server.pool import abandoned

T = TypeVar("T")
CLIENT_GONE = 499
"""Status logged for a request whose client disconnected before its answer (nginx's convention; nobody reads it)."""


class AnswerWorkers:
    """Threads that run answer streams; `capacity` bounds the answers in flight."""

    def __init__(self, capacity: int, timeout_s: float):
        self.capacity = capacity
        self.timeout_s = timeout_s
        self._executor = ThreadPoolExecutor(capacity, thread_name_prefix="ragkit-answer")
        self._lock = threading.Lock()
        self.in_flight = 0
        """Answers admitted and not finished."""

    def start(self, events: Callable[[], Iterator[T]]) -> EventStream[T]:
        """Start producing events in a thread; QueueFullError when `capacity` answers are in flight already."""
        with self._lock:
            if self.in_flight >= self.capacity:
                raise QueueFullError("the server is busy: every model worker is taken and the queue is full")
            self.in_flight += 1
        stream: EventStream[T] = EventStream(asyncio.get_running_loop(), self.timeout_s)
        try:
            # Each answer in a context of its own, where the pool sees whether it was abandoned.
            self._executor.submit(copy_context().run, stream.produce, events, self._finished)
        except RuntimeError:  # executor shut down
            self._finished()
            raise
        return stream

    def _finished(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


class EventStream(AsyncIterator[T], Generic[T]):
    """Events of one answer, handed from its thread to the event loop; the deadline covers the whole stream."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout_s: float):
        self._loop = loop
        self._queue: asyncio.Queue[tuple[str, object]] = asyncio.Queue()
        self._deadline = loop.time() + timeout_s
        self._timeout_s = timeout_s
        self._cancelled = threading.Event()

    def produce(self, events: Callable[[], Iterator[T]], finished: Callable[[], None]) -> None:
        """Run in the worker thread: iterate the events, stop early once cancelled."""
        abandoned.set(self._cancelled)
        try:
            iterator = events()
            try:
                for event in iterator:
                    if self._cancelled.is_set():
                        break
                    self._put("event", event)
            finally:
                close = getattr(iterator, "close", None)
                if close is not None:
                    close()
            self._put("end", None)
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            self._put("error", exc)
        finally:
            finished()

    def cancel(self) -> None:
        """Stop the producer at its next event."""
        self._cancelled.set()

    def _put(self, kind: str, value: object) -> None:
        try:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, (kind, value))
        except RuntimeError:  # the event loop is closed: nobody is listening any more
            self._cancelled.set()

    def __aiter__(self) -> EventStream[T]:
        return self

    async def __anext__(self) -> T:
        # asyncio.timeout_at, not wait_for: Python 3.11's wait_for returns the item instead of raising when the
        # consumer is cancelled just as the item arrives, so a client gone mid-stream left the generation running.
        # timeout_at only fires at a suspension, and a queued item needs none: the deadline is checked first.
        try:
            if self._loop.time() >= self._deadline:
                raise TimeoutError
            async with asyncio.timeout_at(self._deadline):
                kind, value = await self._queue.get()
        except TimeoutError:
            self.cancel()
            raise AnswerTimeoutError(f"no answer within the request timeout of {self._timeout_s:g} s") from None
        except BaseException:
            self.cancel()
            raise
        if kind == "event":
            return value  # type: ignore[return-value]
        if kind == "error":
            assert isinstance(value, BaseException)
            raise value
        raise StopAsyncIteration

    async def aclose(self) -> None:
        self.cancel()


async def unless_disconnected(receive: Receive, work: Awaitable[T]) -> T | None:
    """The result of `work`, or None (and `work` cancelled, which stops its generation) if the client disconnects
    first: a non-streamed answer nobody waits for any more frees its model worker at once."""
    task = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_disconnected(receive))
    try:
        done, _ = await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:
        task.cancel()
        raise
    finally:
        gone.cancel()
    if task in done:
        return task.result()
    task.cancel()
    return None


async def _disconnected(receive: Receive) -> None:
    """Return when the client disconnects (the request body has been read already, so nothing else arrives)."""
    while (await receive())["type"] != "http.disconnect":
        pass
