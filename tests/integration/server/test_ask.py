"""POST /v1/ask over real HTTP: the Answer as JSON and as server-sent events, and every error as a status."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest

from ragkit import Answer
from tests.integration.server.live import Factory, LiveServer, sse_json, upload

pytestmark = pytest.mark.integration

QUESTION = "How many days before departure must flights be booked?"


def test_answer_as_json_with_citations_model_prompt_and_timings(docs: LiveServer):
    with docs.client() as client:
        response = client.post("/v1/ask", json={"index": "docs", "question": QUESTION, "k": 2, "max_tokens": 64})
    assert response.status_code == 200, response.text
    answer = response.json()
    assert set(answer) == {f.name for f in fields(Answer)}  # the body is the library's Answer, every field of it
    assert answer["found"] and not answer["extractive"]
    assert "14 days" in answer["text"] and answer["text"].endswith("[1]")
    cited = answer["citations"][0]
    assert cited["source"] == "travel-policy.pdf" and cited["page"] == 1 and cited["end"] > cited["start"]
    assert 0 < cited["score"] <= 1 and len(answer["passages"]) <= 2
    assert answer["prompt"]["prompt_id"] == "rag-answer" and len(answer["prompt"]["prompt_sha256"]) == 64
    assert answer["model"] == "ScriptedChatModel" and answer["timings"]["total_s"] > 0
    prompt, params = docs.state.pool.models[0].calls[-1]
    assert params["max_tokens"] == 64


def test_answer_streams_deltas_then_the_answer(docs: LiveServer):
    with docs.client() as client, client.stream("POST", "/v1/ask", json={"index": "docs", "question": QUESTION,
                                                                         "stream": True}) as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        events = sse_json(response)
    names = [name for name, _ in events]
    assert names[-1] == "answer" and set(names[:-1]) == {"delta"} and len(names) >= 2
    text = "".join(data["text"] for name, data in events if name == "delta")
    assert text == events[-1][1]["generated"] and events[-1][1]["citations"]
    assert set(events[-1][1]) == {f.name for f in fields(Answer)}


def test_chinese_document_answers_a_chinese_question(serve: Factory, tmp_path):
    doc = tmp_path / "员工手册.md"
    doc.write_text("# 年假\n员工每年享有十五天带薪年假。病假需要医生证明。\n", encoding="utf-8")
    server = serve()
    with server.client() as client:
        client.post("/v1/kbs", json={"name": "zh"})
        assert upload(client, "zh", [doc])["status"] == "done"
        answer = client.post("/v1/ask", json={"index": "zh", "question": "员工每年有几天带薪年假？"}).json()
    assert "十五天" in answer["text"] and answer["citations"][0]["source"] == "员工手册.md"


def test_nothing_relevant_is_a_refusal_without_a_model_call(docs: LiveServer):
    calls = len(docs.state.pool.models[0].calls)
    with docs.client() as client:
        answer = client.post("/v1/ask", json={"index": "docs", "question": "zzqx vvkw"}).json()
        metrics = client.get("/metrics").text
    assert not answer["found"] and answer["citations"] == []
    assert len(docs.state.pool.models[0].calls) == calls
    assert 'ragkit_serve_refusals_total{index="docs"} 1.0' in metrics


@pytest.mark.parametrize(("body", "field"), [
    ({"index": "docs"}, "body.question"),
    ({"index": "docs", "question": "q", "k": 0}, "body.k"),
    ({"index": "docs", "question": "q", "temperature": 9}, "body.temperature"),
    ({"index": "docs", "question": "q", "colour": "red"}, "body.colour"),
    ({"index": "docs", "question": "q", "filter": {"page": {"$gt": 1}}}, "body.filter.page.str"),
])
def test_malformed_fields_are_422_naming_the_field(docs: LiveServer, body, field):
    with docs.client() as client:
        response = client.post("/v1/ask", json=body)
    assert response.status_code == 422
    assert response.json()["error"]["param"] == field and response.json()["error"]["message"].startswith(field)


def test_malformed_json_is_422_and_unknown_index_404(docs: LiveServer):
    with docs.client() as client:
        broken = client.post("/v1/ask", content=b'{"index": "docs", ', headers={"content-type": "application/json"})
        unknown = client.post("/v1/ask", json={"index": "nope", "question": "q"})
        streamed_unknown = client.post("/v1/ask", json={"index": "nope", "question": "q", "stream": True})
    assert broken.status_code == 422 and "JSON" in broken.json()["error"]["message"]
    assert unknown.status_code == 404 and "nope" in unknown.json()["error"]["message"]
    assert streamed_unknown.status_code == 404


def test_ragkit_errors_are_400_and_a_damaged_index_500_without_traceback(docs: LiveServer):
    with docs.client() as client:
        empty = client.post("/v1/ask", json={"index": "docs", "question": "   "})
        manifest = docs.state.kbs.directory("docs") / "manifest.json"
        manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "format_version": 99}))
        damaged = client.post("/v1/ask", json={"index": "docs", "question": QUESTION})
    assert empty.status_code == 400 and empty.json()["error"]["message"] == "the question is empty"
    assert damaged.status_code == 500 and "Traceback" not in damaged.text
    assert damaged.json()["error"]["message"]


def test_filter_names_sources_as_listed(docs: LiveServer):
    question = {"index": "docs", "question": "How long must passwords be, at least 14 characters?"}
    with docs.client() as client:
        everywhere = client.post("/v1/ask", json=question).json()
        elsewhere = client.post("/v1/ask", json={**question, "filter": {"source": ["onboarding.md"]}}).json()
    assert "security.txt" in {c["source"] for c in everywhere["passages"]}
    assert {c["source"] for c in elsewhere["passages"]} <= {"onboarding.md"}
