"""The answer log: one event per answer (hit, miss, not found, error, cancelled) and feedback attached to it."""

from __future__ import annotations

import time

import pytest

from ragkit.answerlog import Event, EventLog, EventNotFoundError, parse_rating
from ragkit.errors import InvalidInputError
from tests.scripted_model import ScriptedChatModel
from tests.unit.answerlog.conftest import QUESTION, REPLY, MakeKB

pytestmark = pytest.mark.unit


def test_every_answer_is_one_event_with_its_provenance(make_kb: MakeKB):
    kb = make_kb()
    answer = kb.ask(QUESTION)
    hit = kb.ask(QUESTION)
    refused = kb.ask("zzqx vvkw")
    events = kb.answers.log.events()
    assert [e.id for e in events] == [answer.event_id, hit.event_id, refused.event_id]
    first = kb.answers.log.get(answer.event_id)
    assert first.index == "idx" and first.generation == kb.manifest().generation
    assert first.model == "ScriptedChatModel" and first.question == QUESTION and first.rewritten == ""
    assert first.prompt["prompt_id"] == "rag-answer" and len(first.prompt["prompt_sha256"]) == 64
    assert [r["chunk_id"] for r in first.retrieved] == [p.chunk_id for p in answer.passages]
    assert all(0 <= r["score"] <= 1 and r["source"] for r in first.retrieved)
    assert first.timings == answer.timings and first.latency_s == answer.timings["total_s"]
    assert first.found and not first.cached and not first.extractive and first.error == ""
    assert events[1].cached and events[1].retrieved == first.retrieved
    assert not events[2].found and events[2].retrieved == []


def test_errors_and_cancelled_streams_are_logged(make_kb: MakeKB):
    def reply(prompt: str, params: dict) -> str:
        raise RuntimeError("model crashed")

    kb = make_kb(llm=ScriptedChatModel(reply=reply))
    with pytest.raises(RuntimeError):
        kb.ask(QUESTION)
    working = make_kb(llm=ScriptedChatModel.saying(REPLY))
    stream = working.stream("Who approves travel?")
    next(stream)
    stream.close()
    failed, cancelled = kb.answers.log.events()
    assert failed.error == "RuntimeError: model crashed" and failed.question == QUESTION and failed.latency_s > 0
    assert cancelled.error == "cancelled" and cancelled.question == "Who approves travel?"


def test_logging_can_be_turned_off(make_kb: MakeKB):
    kb = make_kb(events=False)
    assert kb.ask(QUESTION).event_id == "" and kb.answers.log.events() == []


def test_feedback_is_attached_to_the_event(make_kb: MakeKB):
    kb = make_kb()
    answer = kb.ask(QUESTION)
    up = kb.feedback(answer.event_id, "up", "exactly right")
    down = kb.feedback(answer.event_id, -1)
    assert (up.rating, up.comment, down.rating) == (1, "exactly right", -1)
    assert [(f.event_id, f.rating) for f in kb.answers.log.ratings()] == [(answer.event_id, 1), (answer.event_id, -1)]
    assert EventLog(kb.directory).ratings() == kb.answers.log.ratings()  # on disk, for other processes


def test_feedback_on_an_unknown_event_or_with_bad_fields_is_refused(make_kb: MakeKB):
    kb = make_kb()
    with pytest.raises(EventNotFoundError, match="no answer event 'nope'"):
        kb.feedback("nope", "up")  # no log yet
    answer = kb.ask(QUESTION)
    with pytest.raises(EventNotFoundError):
        kb.feedback("nope", "up")
    with pytest.raises(InvalidInputError, match="rating must be"):
        kb.feedback(answer.event_id, "meh")
    with pytest.raises(InvalidInputError, match="at most 2000 characters"):
        kb.feedback(answer.event_id, "down", "x" * 2001)
    assert kb.answers.log.ratings() == []


@pytest.mark.parametrize(("given", "rating"), [("up", 1), ("UP", 1), ("+1", 1), (1, 1), ("down", -1), ("-1", -1),
                                               (-1, -1)])
def test_ratings(given, rating):
    assert parse_rating(given) == rating


@pytest.mark.parametrize("given", [True, False, 0, 2, "yes", ""])
def test_bad_ratings(given):
    with pytest.raises(InvalidInputError):
        parse_rating(given)


async def test_a_closed_async_stream_is_logged_as_cancelled(make_kb: MakeKB):
    kb = make_kb()
    stream = kb.astream("Who approves travel?")
    await anext(stream)
    await stream.aclose()
    (cancelled,) = kb.answers.log.events()
    assert cancelled.error == "cancelled" and len(kb.answers.cache) == 0


def test_pruning_drops_old_events_then_the_oldest_past_the_size_budget(tmp_path):
    log = EventLog(tmp_path)
    now = time.time()

    def event(question: str, age_s: float) -> str:
        return log.record(Event(index="kb", generation="gen-000001", model="m", prompt={}, question=question,
                                time=now - age_s))

    old = event("很久以前的问题", 100 * 86400)
    log.feedback(old, "up")
    middle = [event("question " * 200, age) for age in (30, 20, 10)]  # ~2 KB each
    newest = event("最新的问题", 0)
    assert log.prune(max_age_s=90 * 86400, max_bytes=10**9) == 1
    assert [e.id for e in log.events()] == [*middle, newest] and log.ratings() == []
    assert log.prune(max_age_s=90 * 86400, max_bytes=3000) == 2  # the two oldest of the big ones go
    assert [e.id for e in log.events()] == [middle[-1], newest]
