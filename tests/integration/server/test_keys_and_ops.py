"""API keys with per-index scopes (401/403), and health, readiness and metrics, over real HTTP."""

from __future__ import annotations

import openai
import pytest

from ragkit.server.auth import Grant, KeyStore
from tests.integration.server.live import Factory

pytestmark = pytest.mark.integration

ASK = {"index": "docs", "question": "What is the hotel cap?"}


def test_keys_are_required_scoped_per_index_and_hashed_at_rest(serve: Factory, tmp_path):
    server = serve(api_keys="required")
    store = KeyStore(server.state.settings.keys_path())
    _, admin = store.add([Grant(index="*", scope="write")])
    _, reader = store.add([Grant(index="docs", scope="read")])
    _, other = store.add([Grant(index="other", scope="write")])
    assert admin not in server.state.settings.keys_path().read_text()
    with server.client(admin) as client:
        assert client.post("/v1/kbs", json={"name": "docs"}).status_code == 201
        assert client.post("/v1/kbs", json={"name": "other"}).status_code == 201
    with server.client() as anonymous:
        missing = anonymous.post("/v1/ask", json=ASK)
        assert missing.status_code == 401 and missing.headers["www-authenticate"] == "Bearer"
        assert anonymous.get("/v1/kbs", headers={"Authorization": "Bearer rk-wrong"}).status_code == 401
        assert anonymous.get("/healthz").status_code == 200  # operations need no key
    with server.client(reader) as client:
        assert client.get("/v1/kbs").json() == ["docs"]
        assert client.post("/v1/ask", json=ASK).status_code == 200
        upload = client.post("/v1/kbs/docs/files", files=[("files", ("a.txt", b"hi"))])
        assert upload.status_code == 403 and "write" in upload.json()["error"]["message"]
        assert client.get("/v1/kbs/other").status_code == 403
        assert client.delete("/v1/kbs/docs").status_code == 403
    with server.client(other) as client:
        assert client.post("/v1/ask", json=ASK).status_code == 403
        assert client.post("/v1/ask", json={**ASK, "index": "nope"}).status_code == 403  # no existence leak
    models = openai.OpenAI(base_url=server.url + "/v1", api_key=reader, max_retries=0).models.list()
    assert [m.id for m in models] == ["kb:docs"]
    with pytest.raises(openai.AuthenticationError):
        openai.OpenAI(base_url=server.url + "/v1", api_key="rk-wrong", max_retries=0).models.list()


def test_keys_are_off_on_loopback_by_default(serve: Factory):
    with serve().client() as client:
        assert client.get("/v1/kbs").status_code == 200


def test_health_readiness_and_metrics(docs):
    with docs.client() as client:
        assert client.get("/healthz").json() == {"status": "ok"}
        ready = client.get("/readyz")
        assert ready.status_code == 200 and ready.json()["knowledge_bases"] == 1
        client.post("/v1/ask", json=ASK)
        client.get("/v1/kbs/nope")
        metrics = client.get("/metrics")
    assert metrics.headers["content-type"].startswith("text/plain")
    text = metrics.text
    assert 'ragkit_serve_requests_total{method="POST",route="/v1/ask",status="200"} 1.0' in text
    assert 'ragkit_serve_requests_total{method="GET",route="/v1/kbs/{name}",status="404"} 1.0' in text
    assert 'ragkit_serve_request_seconds_count{method="POST",route="/v1/ask"} 1.0' in text
    assert 'ragkit_serve_answers_total{index="docs"} 1.0' in text
    assert "# TYPE ragkit_serve_tokens_total counter" in text  # counted per kind once a model reports tokens (test_usage)
    assert "ragkit_serve_guardrail_replacements_total" in text and "ragkit_serve_queue_depth 0.0" in text
