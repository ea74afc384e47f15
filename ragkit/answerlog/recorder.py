"""Answers through the cache and the log: a hit is the stored Answer (one TextDelta, then the Answer,
marked cached); a miss is the chain's stream, whose Answer is stored; every answer, hit, miss or failure, is
logged as one event, and the Answer carries the event's id. Errors are logged, never cached.

The cache and the log are a speed-up and a record: when their files cannot be written (a read-only index), the
answer is still given and a warning logged.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from langchain_core.runnables import Runnable

from ragkit.answer import Answer, RagEvent, TextDelta
from ragkit.answerlog.cache import AnswerCache
from ragkit.answerlog.events import Event, EventLog
from ragkit.answerlog.key import CacheKey
from ragkit.chains.driver import END, Blocking, Open, Read, Steps

log = logging.getLogger(__name__)
T = TypeVar("T")
CANCELLED = "cancelled"
"""The error of an answer whose caller stopped reading it (a closed stream, a client gone)."""


class AnswerRecorder:
    """The answer cache and the answer log of one knowledge base."""

    def __init__(self, directory: Path, index: str, cache: bool = True, events: bool = True):
        """`cache`: look answers up and store them (a call may override it); `events`: log every answer."""
        self.index = index
        self.cache = AnswerCache(directory)
        self.log = EventLog(directory)
        self.use_cache = cache
        self.use_log = events

    def steps(self, key: CacheKey, question: str, chain: Callable[[], Runnable[Any, RagEvent]], input: Any,
              cache: bool | None = None) -> Steps:
        """Answering `question` (ragkit.chains.driver: `drive` it, or `adrive`): from the cache, else from the
        stream of `chain()` (built only on a miss) on `input`; the database work is the driver's (a worker thread
        when async)."""
        started, use_cache = time.perf_counter(), self.use_cache if cache is None else cache
        hit = (yield Blocking(lambda: self._hit(key, question, started))) if use_cache else None
        if hit is not None:
            yield TextDelta(hit.text)
            yield hit
            return
        logged = False
        try:
            stream = yield Open(chain(), input)
            while (event := (yield Read(stream))) is not END:
                if isinstance(event, Answer):
                    event, logged = (yield Blocking(functools.partial(self._answered, key, event, use_cache))), True
                yield event
        except (GeneratorExit, asyncio.CancelledError):
            if not logged:
                self._failed(key, question, started, CANCELLED)
            raise
        except Exception as exc:
            yield Blocking(functools.partial(self._failed, key, question, started, f"{type(exc).__name__}: {exc}"))
            raise

    def _hit(self, key: CacheKey, question: str, started: float) -> Answer | None:
        """The cached answer to this key, as an answer to `question` now, logged; None on a miss."""
        stored = _safely(lambda: self.cache.get(key), None, "read the answer cache")
        if stored is None:
            return None
        elapsed = time.perf_counter() - started
        return self._logged(key, replace(stored, question=question, timings={"cache_s": elapsed, "total_s": elapsed}))

    def _answered(self, key: CacheKey, answer: Answer, use_cache: bool) -> Answer:
        """Store a freshly made answer (when caching) and log it."""
        if use_cache:
            _safely(lambda: self.cache.put(key, answer), None, "write the answer cache")
        return self._logged(key, answer)

    def _logged(self, key: CacheKey, answer: Answer) -> Answer:
        """The answer with the id of its logged event (none when logging is off or failed)."""
        if not self.use_log:
            return answer
        event = Event(
            index=self.index, generation=key.generation, model=key.model, prompt=key.prompt, question=answer.question,
            rewritten=str(getattr(answer, "rewritten", "") or ""),
            retrieved=[{"chunk_id": p.chunk_id, "source": p.source, "score": p.score} for p in answer.passages],
            timings=dict(answer.timings), latency_s=answer.timings.get("total_s", 0.0), found=answer.found,
            extractive=answer.extractive, cached=answer.cached, warnings=list(answer.warnings))
        event_id = _safely(lambda: self.log.record(event), "", "write the answer log")
        return replace(answer, event_id=event_id)

    def _failed(self, key: CacheKey, question: str, started: float, error: str) -> None:
        if self.use_log:
            event = Event(index=self.index, generation=key.generation, model=key.model, prompt=key.prompt,
                          question=question, latency_s=time.perf_counter() - started, error=error)
            _safely(lambda: self.log.record(event), "", "write the answer log")


def _safely(action: Callable[[], T], fallback: T, what: str) -> T:
    """action(), or fallback with a warning when the database cannot be used."""
    try:
        return action()
    except (sqlite3.Error, OSError) as exc:
        log.warning("could not %s: %s", what, exc)
        return fallback
