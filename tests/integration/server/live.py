"""A real uvicorn server on a free loopback port, in a thread, and the helpers tests drive it with."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from ragkit.server.app import create_app
from ragkit.server.settings import ServerSettings
from tests.helpers import EXAMPLES_KB
from tests.scripted_model import ScriptedChatModel

_PASSAGE = re.compile(r"^\[(\d+)\] \([^)]*\)\s*", re.M)
_SENTENCE = re.compile(r"(?<=[.!?。！？])\s*")
_WORD = re.compile(r"[^\W\d_]{2,}|\d+|[\u4e00-\u9fff]")  # English words, numbers, Chinese characters
FOLLOW_UP = "Follow-up question: "
"""Where prompts/condense-question puts the follow-up to rewrite."""


class LiveServer:
    """uvicorn serving an app until `stop`."""

    def __init__(self, settings: ServerSettings, llm: Any):
        self.app = create_app(settings, llm=llm)
        self.state = self.app.state.ragkit
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=0, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def client(self, key: str | None = None) -> httpx.Client:
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        return httpx.Client(base_url=self.url, timeout=60, headers=headers)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(15)


def quoting_reply(prompt: str, params: dict[str, Any]) -> str:
    """Quote the passage sentence sharing most words (Chinese: characters) with the question, citing its passage: a grounded reply
    in English and Chinese alike. A follow-up to rewrite (condense-question) is taken as standalone."""
    if FOLLOW_UP in prompt:
        return prompt.rpartition(FOLLOW_UP)[2].strip()
    body, _, question = prompt.rpartition("Question: ")
    context = re.sub(r"</?document>", " ", body.split("Passages:", 1)[-1])
    wanted = set(_WORD.findall(question.lower()))
    best, best_n, best_score = "", 1, -1
    starts = list(_PASSAGE.finditer(context))
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(context)
        for sentence in _SENTENCE.split(context[match.end():end]):
            score = len(wanted & set(_WORD.findall(sentence.lower())))
            if sentence.strip() and score > best_score:
                best, best_n, best_score = sentence.strip(), int(match.group(1)), score
    return f"{best} [{best_n}]"


def quoting_model() -> ScriptedChatModel:
    return ScriptedChatModel(reply=quoting_reply)


def with_docs(server: LiveServer) -> LiveServer:
    """The server with knowledge base 'docs' holding examples/kb."""
    with server.client() as client:
        assert client.post("/v1/kbs", json={"name": "docs"}).status_code == 201
        job = upload(client, "docs", sorted(EXAMPLES_KB.iterdir()))
        assert job["status"] == "done", job
    return server


def wait_job(client: httpx.Client, job: dict[str, Any], timeout_s: float = 120) -> dict[str, Any]:
    """Poll a job until it ends."""
    deadline = time.monotonic() + timeout_s
    while job["status"] not in ("done", "failed"):
        assert time.monotonic() < deadline, f"job did not end: {job}"
        time.sleep(0.1)
        job = client.get(f"/v1/jobs/{job['id']}").json()
    return job


def upload(client: httpx.Client, name: str, paths: list[Path]) -> dict[str, Any]:
    """Upload files to a knowledge base and wait for the indexing job."""
    files = [("files", (p.name, p.read_bytes())) for p in paths]
    response = client.post(f"/v1/kbs/{name}/files", files=files)
    assert response.status_code == 202, response.text
    return wait_job(client, response.json())


def sse(response: httpx.Response) -> list[tuple[str, str]]:
    """(event, data) pairs of a server-sent event stream (event 'message' when unnamed; comments skipped)."""
    events, name, data = [], "message", []
    for line in response.iter_lines():
        if not line:
            if data:
                events.append((name, "\n".join(data)))
            name, data = "message", []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].lstrip(" "))
    if data:
        events.append((name, "\n".join(data)))
    return events


def sse_json(response: httpx.Response) -> list[tuple[str, Any]]:
    return [(name, data if data == "[DONE]" else json.loads(data)) for name, data in sse(response)]


Factory = Callable[..., LiveServer]
