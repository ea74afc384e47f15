"""The HTTP answer body is the library's Answer: every field of ragkit.answer.Answer and Citation reaches the JSON
body, the streamed `answer` event, the OpenAPI schema (described) and back into an Answer in the client."""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from ragkit import Answer, Citation
from ragkit.server.app import create_app
from ragkit.server.client import answer_from_json
from ragkit.server.openai_schemas import RagkitExtra
from ragkit.server.schemas import answer_json, answer_out
from ragkit.server.settings import ServerSettings
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit
ANSWER_FIELDS = {f.name for f in fields(Answer)}
CITATION_FIELDS = {f.name for f in fields(Citation)}


def _citation(n: int) -> Citation:
    return Citation(n, f"/srv/indexes/docs/files/policy-{n}.pdf", 2, 10, 90, f"chunk-{n}", 0.5, "Flights are booked "
                    "14 days ahead. 航班需提前14天预订。", inferred=True, where="page 2")


def _full_answer() -> Answer:
    """An Answer with no field at its default, so a field the body drops or resets shows."""
    return Answer("How early are flights booked?", "14 days ahead [1].", [_citation(1)], [_citation(1), _citation(2)],
                  "qwen2.5-1.5b", {"prompt_id": "rag-answer", "prompt_version": 3}, {"total_s": 1.5, "context_tokens": 40},
                  found=False, extractive=True, generated="1862 days.", warnings=["passage [2] (b): removed \"x\""],
                  cached=True, event_id="ev-1", rewritten="How early are flights booked for Paris?",
                  replaced_because="the number 1862 is in no passage")


def _shown(source: str) -> str:
    return source.rsplit("/", 1)[-1]


def test_the_body_carries_every_field_of_the_answer_and_its_citations():
    body = answer_json(_full_answer(), _shown)
    assert set(body) == ANSWER_FIELDS
    assert body["replaced_because"] == "the number 1862 is in no passage" and body["found"] is False
    for citation in body["citations"] + body["passages"]:
        assert set(citation) == CITATION_FIELDS
    assert [c["source"] for c in body["passages"]] == ["policy-1.pdf", "policy-2.pdf"]  # the server's paths hidden
    defaults = Answer("q", "t", [], [], "m", {})
    assert all(body[name] != getattr(defaults, name) for name in ANSWER_FIELDS), "a field kept its default"


def test_the_client_reads_the_body_back_into_the_same_answer():
    answer = _full_answer()
    assert answer_from_json(answer_json(answer, _shown)) == answer_out(answer, _shown)
    newer = {**answer_json(answer, _shown), "a_field_of_a_newer_server": 1}
    assert answer_from_json(newer).replaced_because == answer.replaced_because


def test_the_openapi_schema_documents_every_field(tmp_path: Path):
    app = create_app(ServerSettings(indexes=tmp_path / "indexes", embedder="hashing"),
                     ScriptedChatModel(reply=lambda prompt, params: "x"))
    schema = app.openapi()
    ok = schema["paths"]["/v1/ask"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    components: dict[str, Any] = schema["components"]["schemas"]
    answer = components[ok["$ref"].rsplit("/", 1)[-1]]
    assert set(answer["properties"]) == ANSWER_FIELDS
    assert set(components["Citation"]["properties"]) == CITATION_FIELDS
    undocumented = [name for component in (answer, components["Citation"])
                    for name, field in component["properties"].items() if not field.get("description")]
    assert undocumented == []
    assert "replaced" in answer["properties"]["replaced_because"]["description"]


def test_the_chat_api_extra_carries_every_field_but_the_question_passages_and_raw_reply():
    # The OpenAI-compatible reply has the question in its messages and the citations on the message; a new field
    # of Answer must be added to RagkitExtra, or here with the reason it is left out.
    left_out = {"question", "citations", "passages", "generated"}
    assert set(RagkitExtra.model_fields) == ANSWER_FIELDS - left_out
    extra = RagkitExtra.of(_full_answer())
    assert extra.replaced_because == "the number 1862 is in no passage" and extra.warnings and extra.cached
