"""`ragkit serve --ray`: the same app as a Ray Serve deployment of two replicas on a local Ray, answering over HTTP
through Ray's proxy (JSON, SSE and the openai client) from a knowledge base built beforehand."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from ragkit.server.settings import ServerSettings
from tests.helpers import EXAMPLES_KB, REPO
from tests.integration.server.live import Factory, quoting_model, sse_json, upload

pytestmark = [pytest.mark.integration, pytest.mark.slow]

ray_serve_api = pytest.importorskip("ray.serve", reason="ray[serve] is not installed (pip install 'ragkit[serve-ray]')")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def ray_app(serve: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Two replicas over tmp_path/indexes, whose knowledge base 'docs' a plain server built first."""
    import ray

    from ragkit.server import ray_serve

    builder = serve()
    with builder.client() as client:
        client.post("/v1/kbs", json={"name": "docs"})
        assert upload(client, "docs", sorted(EXAMPLES_KB.iterdir()))["status"] == "done"
    builder.stop()
    # Replicas import this test module's scripted model: they need the repository on their path.
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(REPO), os.environ.get("PYTHONPATH", "")]))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        port = _free_port()
        settings = ServerSettings(indexes=tmp_path / "indexes", embedder="hashing", port=port)
        ray_serve.run(settings, replicas=2, replica_cpus=0.5, llm=quoting_model, blocking=False)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                if httpx.get(url + "/readyz", timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        yield url
    finally:
        ray_serve_api.shutdown()
        ray.shutdown()


def test_two_replicas_answer_through_the_ray_proxy(ray_app: str):
    status = ray_serve_api.status().applications["ragkit"]
    assert status.status == "RUNNING"
    assert status.deployments["ragkit"].replica_states == {"RUNNING": 2}
    question = {"index": "docs", "question": "What is the hotel cap in capital cities?"}
    with httpx.Client(base_url=ray_app, timeout=60) as client:
        for _ in range(4):
            answer = client.post("/v1/ask", json=question).json()
            assert "180 euros" in answer["text"] and answer["citations"][0]["source"] == "travel-policy.pdf"
        with client.stream("POST", "/v1/ask", json={**question, "stream": True}) as response:
            events = sse_json(response)
        assert events[0][0] == "delta" and events[-1][0] == "answer"
        assert client.post("/v1/ask", json={**question, "index": "nope"}).status_code == 404
    reply = openai.OpenAI(base_url=ray_app + "/v1", api_key="unused", max_retries=0).chat.completions.create(
        model="kb:docs", messages=[{"role": "user", "content": question["question"]}])
    assert "180 euros" in reply.choices[0].message.content
