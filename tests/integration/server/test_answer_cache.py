"""The answer cache and the answer log over real HTTP: a repeated question is a hit (in the answer and in /metrics),
a re-index or a deleted source invalidates it, and POST /v1/feedback rates an answer by its event id."""

from __future__ import annotations

import re

import pytest

from tests.integration.server.live import LiveServer, sse_json, upload, wait_job

pytestmark = pytest.mark.integration

QUESTION = {"index": "docs", "question": "How many days before departure must flights be booked?", "k": 2}


def _metric(text: str, name: str, **labels: str) -> float:
    """A sample's value in a Prometheus text exposition (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    match = re.search(rf"^{name}\{{{re.escape(wanted)}\}} (\S+)$", text, re.M)
    return float(match.group(1)) if match else 0.0


def test_a_repeated_question_is_a_hit_marked_in_the_answer_and_in_metrics(docs: LiveServer):
    model = docs.state.pool.models[0]
    with docs.client() as client:
        first = client.post("/v1/ask", json=QUESTION).json()
        calls = len(model.calls)
        second = client.post("/v1/ask", json={**QUESTION, "question": "how many days before departure must "
                                                                       "flights be BOOKED?"}).json()
        metrics = client.get("/metrics").text
    assert not first["cached"] and second["cached"] and len(model.calls) == calls
    assert second["text"] == first["text"] and second["citations"] == first["citations"]
    assert first["event_id"] and second["event_id"] != first["event_id"]
    assert _metric(metrics, "ragkit_serve_cache_hits_total", index="docs") == 1.0
    assert _metric(metrics, "ragkit_serve_answers_total", index="docs") == 2.0


def test_a_streamed_hit_is_one_delta_then_the_answer_and_chat_completions_hit_too(docs: LiveServer):
    chat = {"model": "kb:docs", "messages": [{"role": "user", "content": QUESTION["question"]}], "k": 2}
    with docs.client() as client:
        client.post("/v1/ask", json=QUESTION)
        with client.stream("POST", "/v1/ask", json={**QUESTION, "stream": True}) as response:
            events = sse_json(response)
        completion = client.post("/v1/chat/completions", json=chat).json()
    assert [name for name, _ in events] == ["delta", "answer"]
    assert events[0][1]["text"] == events[1][1]["text"] and events[1][1]["cached"]
    assert completion["ragkit"]["cached"] and completion["ragkit"]["event_id"]


def test_a_reindex_or_a_deleted_source_invalidates_the_cache(docs: LiveServer, tmp_path):
    model = docs.state.pool.models[0]
    with docs.client() as client:
        client.post("/v1/ask", json=QUESTION)
        assert client.post("/v1/ask", json=QUESTION).json()["cached"]
        job = wait_job(client, client.post("/v1/kbs/docs/reindex", json={"rebuild": True}).json())
        assert job["status"] == "done"
        calls = len(model.calls)
        after_reindex = client.post("/v1/ask", json=QUESTION).json()
        assert not after_reindex["cached"] and len(model.calls) == calls + 1
        assert client.post("/v1/ask", json=QUESTION).json()["cached"]
        extra = tmp_path / "parking.md"
        extra.write_text("Parking permits cost 5 euros a month.")
        assert upload(client, "docs", [extra])["status"] == "done"
        assert not client.post("/v1/ask", json=QUESTION).json()["cached"]
        assert client.delete("/v1/kbs/docs/sources/parking.md").status_code in (200, 204)
        assert not client.post("/v1/ask", json=QUESTION).json()["cached"]
    assert len(docs.state.kbs.get("docs").answers.cache) == 1  # older generations pruned


def test_feedback_rates_an_answer_by_its_event_id(docs: LiveServer):
    with docs.client() as client:
        answer = client.post("/v1/ask", json=QUESTION).json()
        up = client.post("/v1/feedback", json={"event_id": answer["event_id"], "rating": "up", "comment": "right"})
        down = client.post("/v1/feedback", json={"event_id": answer["event_id"], "rating": -1, "index": "docs"})
        metrics = client.get("/metrics").text
    assert up.status_code == 201 and up.json() == {"event_id": answer["event_id"], "index": "docs", "rating": 1,
                                                   "comment": "right"}
    assert down.status_code == 201 and down.json()["rating"] == -1
    assert _metric(metrics, "ragkit_serve_feedback_total", index="docs", rating="up") == 1.0
    ratings = docs.state.kbs.get("docs").answers.log.ratings()
    assert [(r.event_id, r.rating, r.comment) for r in ratings] == [(answer["event_id"], 1, "right"),
                                                                    (answer["event_id"], -1, "")]


@pytest.mark.parametrize(("body", "field"), [
    ({"rating": "up"}, "body.event_id"),
    ({"event_id": "x", "rating": "meh"}, "body.rating"),
    ({"event_id": "x", "rating": 2}, "body.rating"),
    ({"event_id": "x", "rating": True}, "body.rating"),
    ({"event_id": "x", "rating": "up", "comment": "c" * 2001}, "body.comment"),
    ({"event_id": "x", "rating": "up", "stars": 5}, "body.stars"),
])
def test_bad_feedback_fields_are_422_naming_the_field(docs: LiveServer, body, field):
    with docs.client() as client:
        response = client.post("/v1/feedback", json=body)
    assert response.status_code == 422 and response.json()["error"]["param"] == field


def test_feedback_on_an_unknown_event_or_index_is_404(docs: LiveServer):
    with docs.client() as client:
        client.post("/v1/ask", json=QUESTION)
        unknown = client.post("/v1/feedback", json={"event_id": "0" * 32, "rating": "down"})
        elsewhere = client.post("/v1/feedback", json={"event_id": "0" * 32, "rating": "down", "index": "nope"})
    assert unknown.status_code == 404 and "no answer event" in unknown.json()["error"]["message"]
    assert elsewhere.status_code == 404 and "nope" in elsewhere.json()["error"]["message"]
