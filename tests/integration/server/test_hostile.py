"""Hostile clients against a real server on a loopback port (issue 27): bodies refused before they are read,
cross-site requests and unknown Hosts refused, malformed bodies a 4xx that keeps the connection, queued clients that
leave dropped before a model, bounded chat requests and embedders, operations behind a key, Office bombs skipped."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil
import pytest

from ragkit.errors import ContextOverflowError
from ragkit.server.auth import Grant, KeyStore
from tests.helpers import EXAMPLES_KB
from tests.integration.server.live import Factory, LiveServer, quoting_reply, upload, wait_job
from tests.integration.server.test_concurrency import _wait_until
from tests.office_bombs import docx_bomb, real_docx, span_bomb
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.integration

ASK = {"index": "docs", "question": "What is the hotel cap?"}
MB = 2**20


class Offered:
    """A chunked body of up to `total` bytes, counting what the client actually handed to the socket."""

    def __init__(self, total: int = 300 * MB, head: bytes = b"", block: int = 64 * 1024):
        self.total, self.head, self.block, self.sent = total, head, block, 0

    def __iter__(self) -> Iterator[bytes]:
        if self.head:
            self.sent += len(self.head)
            yield self.head
        while self.sent < self.total:
            self.sent += self.block
            yield b"x" * self.block


def _post_offered(server: LiveServer, path: str, body: Offered, content_type: str) -> int:
    """POST the chunked body; the status, or 0 when the server closed the connection before one could be read."""
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            return client.post(path, content=iter(body), headers={"content-type": content_type}).status_code
    except httpx.TransportError:
        return 0


def _raw(server: LiveServer, head: str) -> bytes:
    """Send only a request head (no body byte) and read what the server answers."""
    host, port = server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(head.replace("\n", "\r\n").encode() + b"\r\n")
        return sock.recv(65536)


def _rss() -> int:
    return psutil.Process().memory_info().rss


def test_a_request_without_a_key_is_refused_before_any_body_byte_is_read(serve: Factory):
    server = serve(api_keys="required")
    reply = _raw(server, f"POST /v1/ask HTTP/1.1\nHost: {server.url[7:]}\nTransfer-Encoding: chunked\n"
                         "Content-Type: application/json\n")
    assert reply.startswith(b"HTTP/1.1 401") and b"connection: close" in reply.lower()
    before = _rss()
    for path, kind in (("/v1/ask", "application/json"), ("/v1/kbs/docs/files", "multipart/form-data; boundary=b")):
        body = Offered()
        assert _post_offered(server, path, body, kind) in (401, 0)
        assert body.sent < 16 * MB, (path, body.sent)  # of 300 MB offered: what the sockets buffered, no more
    assert _rss() - before < 32 * MB


def test_json_bodies_are_counted_as_they_arrive_and_cut_at_the_route_cap(serve: Factory):
    server = serve(max_json_kb=64)
    declared = _raw(server, f"POST /v1/ask HTTP/1.1\nHost: {server.url[7:]}\nContent-Length: 1000000000\n"
                            "Content-Type: application/json\n")
    assert declared.startswith(b"HTTP/1.1 413")
    before = _rss()
    body = Offered()
    assert _post_offered(server, "/v1/ask", body, "application/json") in (413, 0)
    assert body.sent < 16 * MB and _rss() - before < 32 * MB
    with server.client() as client:  # a body under the cap is read as ever
        assert client.post("/v1/kbs", json={"name": "docs"}).status_code == 201


def test_uploads_have_the_upload_cap_chunked_bodies_included(serve: Factory):
    server = serve(max_upload_mb=1, max_files=1)
    with server.client() as client:
        assert client.post("/v1/kbs", json={"name": "docs"}).status_code == 201
    head = (b'--b\r\nContent-Disposition: form-data; name="files"; filename="big.txt"\r\n'
            b"Content-Type: text/plain\r\n\r\n")
    body = Offered(total=64 * MB, head=head)
    assert _post_offered(server, "/v1/kbs/docs/files", body, "multipart/form-data; boundary=b") in (413, 0)
    assert body.sent < 16 * MB
    files = server.state.kbs.directory("docs") / "files"
    assert not files.exists() or not any(files.iterdir())


def test_cross_site_requests_and_unknown_hosts_are_refused(docs: LiveServer):
    with docs.client() as client:
        planted = client.post("/v1/kbs/docs/files", files=[("files", ("hotel.md", b"The hotel cap is 9999 EUR."))],
                              headers={"Origin": "http://attacker.example"})
        assert planted.status_code == 403 and "cross-origin" in planted.json()["error"]["message"]
        assert client.post("/v1/ask", json=ASK, headers={"Origin": "null"}).status_code == 403
        assert "hotel.md" not in [s["source"] for s in client.get("/v1/kbs/docs/sources").json()]
        rebound = client.get("/v1/kbs", headers={"Host": "attacker.example"})
        assert rebound.status_code == 403 and "unknown Host" in rebound.json()["error"]["message"]
        assert client.get("/healthz", headers={"Host": "attacker.example"}).status_code == 200
        same_origin = client.post("/v1/ask", json=ASK, headers={"Origin": docs.url})
        assert same_origin.status_code == 200 and "access-control-allow-origin" not in same_origin.headers
        assert client.get("/v1/kbs", headers={"Host": "localhost"}).status_code == 200


def test_configured_origins_get_cors_and_others_do_not(serve: Factory):
    server = serve(allowed_origins=["https://app.example"], allowed_hosts=["rag.example"])
    with server.client() as client:
        preflight = client.options("/v1/kbs", headers={"Origin": "https://app.example",
                                                      "Access-Control-Request-Method": "POST"})
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://app.example"
        created = client.post("/v1/kbs", json={"name": "a"}, headers={"Origin": "https://app.example"})
        assert created.status_code == 201 and created.headers["access-control-allow-origin"] == "https://app.example"
        assert client.post("/v1/kbs", json={"name": "b"}, headers={"Origin": "https://evil.example"}).status_code == 403
        assert client.get("/v1/kbs", headers={"Host": "rag.example:8000"}).status_code == 200


@pytest.mark.parametrize(("raw", "field"), [
    (b'{"index": "docs", "question": "q", "temperature": NaN}', "body"),
    (b'{"index": "docs", "question": "q", "filter": {"page": Infinity}}', "body"),
    (b'{"index": "docs", "question": "lone \\ud800 surrogate"}', "body"),
    (b'{"index": "docs", "question": "pair \\ud83d\\ude00 is fine", "k": 0}', "body.k"),
])
def test_values_json_cannot_carry_are_422_keeping_the_connection(docs: LiveServer, raw: bytes, field: str):
    with docs.client() as client:
        response = client.post("/v1/ask", content=raw, headers={"content-type": "application/json"})
        assert response.status_code == 422 and response.json()["error"]["param"].startswith(field)
        assert response.headers.get("connection") != "close"
        assert client.get("/healthz").status_code == 200


def test_oversized_filters_are_422_at_once_and_422s_do_not_echo_large_inputs(docs: LiveServer):
    with docs.client() as client, ThreadPoolExecutor(1) as pool:
        many_sources = pool.submit(client.post, "/v1/ask",
                                   json={**ASK, "filter": {"source": [f"file-{i}.md" for i in range(20_000)]}})
        started = time.monotonic()
        assert client.get("/healthz").status_code == 200
        healthz_s = time.monotonic() - started
        assert many_sources.result().status_code == 422, healthz_s
        many_keys = client.post("/v1/ask", json={**ASK, "filter": {f"k{i}": i for i in range(10_000)}})
        assert many_keys.status_code == 422 and len(many_keys.content) < 10_000
        long = client.post("/v1/ask", json={**ASK, "question": "问题" * 400_000})  # 2.4 MB: over the JSON cap
        assert long.status_code == 413
        echoed = client.post("/v1/ask", json={**ASK, "question": "question " * 100_000})  # 0.9 MB
        assert echoed.status_code == 422 and len(echoed.content) < 4_000
        assert client.post("/v1/ask", json={**ASK, "filter": {"source": ["security.txt"]}}).status_code == 200


def test_models_listed_during_deletes_never_fail(serve: Factory):
    server = serve()
    stop, statuses = threading.Event(), []
    with server.client() as client:
        def list_models() -> None:
            with server.client() as lister:
                while not stop.is_set():
                    statuses.append(lister.get("/v1/models").status_code)

        thread = threading.Thread(target=list_models)
        thread.start()
        for i in range(15):
            assert client.post("/v1/kbs", json={"name": f"kb{i}"}).status_code == 201
            assert client.delete(f"/v1/kbs/kb{i}").status_code == 204
        stop.set()
        thread.join()
    assert statuses and set(statuses) == {200}


def test_queued_requests_whose_clients_left_never_reach_the_model(serve: Factory):
    gate = threading.Event()
    model = ScriptedChatModel(reply=lambda prompt, params: (gate.wait(30), quoting_reply(prompt, params))[1])
    server = serve(llm=model, workers=1, queue=4)
    with server.client() as client:
        client.post("/v1/kbs", json={"name": "docs"})
        assert upload(client, "docs", sorted(EXAMPLES_KB.iterdir()))["status"] == "done"
    with server.client() as client, ThreadPoolExecutor(4) as pool:
        first = pool.submit(client.post, "/v1/ask", json=ASK)
        _wait_until(lambda: server.state.pool.busy == 1)

        def leave(question: str, route: str) -> None:
            with pytest.raises(httpx.ReadTimeout), httpx.Client(base_url=server.url, timeout=1) as impatient:
                if route == "ask":
                    impatient.post("/v1/ask", json={"index": "docs", "question": question})
                else:
                    impatient.post("/v1/chat/completions",
                                   json={"model": "kb:docs", "messages": [{"role": "user", "content": question}]})

        gone = [pool.submit(leave, f"Who approves travel {i}?", route) for i, route in enumerate(["ask", "chat", "ask"])]
        for future in gone:
            future.result()
        _wait_until(lambda: server.state.pool.waiting == 0 and server.state.workers.in_flight == 1)
        gate.set()
        assert first.result().status_code == 200
    assert len(model.calls) == 1  # only the client that stayed was answered (and cached)


def test_chat_requests_are_bounded_and_context_overflow_is_a_400(docs: LiveServer, serve: Factory):
    def chat(messages: list[dict]) -> httpx.Response:
        with docs.client() as client:
            return client.post("/v1/chat/completions", json={"model": "kb:docs", "messages": messages})

    user = {"role": "user", "content": "What is the hotel cap?"}
    assert chat([user] * 65).status_code == 422
    assert chat([{"role": "user", "content": "长" * 8001}]).status_code == 422
    too_long = chat([{"role": "assistant", "content": "x" * 7000}] * 5 + [user])
    assert too_long.status_code == 422 and "together" in too_long.json()["error"]["message"]
    assert chat([{"role": "user", "content": "q" * 10 * MB}]).status_code == 413

    def overflow(prompt: str, params: dict) -> str:
        raise ContextOverflowError("Requested tokens (9000) exceed context window of 4096")

    with serve(llm=ScriptedChatModel(reply=overflow)).client() as client:
        client.post("/v1/kbs", json={"name": "docs"})
        upload(client, "docs", [EXAMPLES_KB / "travel-policy.pdf"])
        refused = client.post("/v1/chat/completions", json={"model": "kb:docs", "messages": [user]})
    assert refused.status_code == 400 and "context window" in refused.json()["error"]["message"]


def test_clients_choose_only_offered_embedders_of_bounded_dimension(serve: Factory):
    with serve(embedders=["hashing:2048"]).client() as client:
        for spec in ("hashing:99999", "hashing:0", "hashing:4096", "/etc", "hashing:-1"):
            refused = client.post("/v1/kbs", json={"name": "x", "embedder": spec})
            assert refused.status_code == 400 and "not offered" in refused.json()["error"]["message"], spec
        assert client.post("/v1/kbs", json={"name": "small", "embedder": "hashing:64"}).status_code == 201
        assert client.post("/v1/kbs", json={"name": "configured", "embedder": "hashing:2048"}).status_code == 201


def test_operations_routes_need_a_key_when_keys_are_required(serve: Factory):
    server = serve(api_keys="required")
    store = KeyStore(server.state.settings.keys_path())
    _, everything = store.add([Grant(index="*", scope="read")])
    _, one = store.add([Grant(index="docs", scope="read")])
    with server.client() as anonymous:
        for path in ("/metrics", "/docs", "/openapi.json", "/v1/nowhere"):
            assert anonymous.get(path).status_code == 401, path
        assert anonymous.get("/healthz").status_code == 200 and anonymous.get("/readyz").status_code == 200
    with server.client(one) as client:
        assert client.get("/openapi.json").status_code == 200
        assert client.get("/metrics").status_code == 403  # the metrics name every knowledge base
    with server.client(everything) as client:
        assert client.get("/metrics").status_code == 200


def test_a_damaged_key_file_is_not_shown_to_callers(serve: Factory, caplog):
    server = serve(api_keys="required")
    path = server.state.settings.keys_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"keys": [{"id": "top-secret-note", "sha256": 12}]')
    with server.client("rk-anything") as client:
        response = client.get("/v1/kbs")
    message = response.json()["error"]["message"]
    assert response.status_code == 503 and "top-secret" not in message and str(path) not in message
    assert "damaged" in caplog.text and "top-secret" not in caplog.text


def test_start_up_warns_of_an_empty_key_file_and_every_address(tmp_path: Path):
    from ragkit.server.settings import ServerSettings

    warnings = ServerSettings(host="0.0.0.0", indexes=tmp_path).warnings()
    assert any("holds none" in w for w in warnings) and any("every address" in w for w in warnings)
    assert ServerSettings(indexes=tmp_path).warnings() == []


def test_one_knowledge_base_being_written_does_not_stall_another(serve: Factory):
    server = serve(index_workers=2)
    with server.client() as client:
        for name in ("busy", "other"):
            assert client.post("/v1/kbs", json={"name": name}).status_code == 201
        with server.state.kbs.writing("busy"):  # as a long re-index holds it
            stalled = client.post("/v1/kbs/busy/reindex").json()
            job = client.post("/v1/kbs/other/files", files=[("files", ("a.md", b"# A\n\nThe cap is 10."))]).json()
            assert wait_job(client, job, timeout_s=30)["status"] == "done"
            assert client.get(f"/v1/jobs/{stalled['id']}").json()["status"] in ("queued", "running")
        assert wait_job(client, stalled)["status"] == "done"


def test_an_office_bomb_is_a_skipped_file_not_a_failed_upload(serve: Factory, tmp_path: Path):
    server = serve()
    bomb = docx_bomb(tmp_path / "bomb.docx")
    laughs = docx_bomb(tmp_path / "laughs.docx", dtd=True)
    span = span_bomb(tmp_path / "span.docx")  # passes the static checks: stopped by the reader's memory budget
    fine = real_docx(tmp_path / "policy.docx")
    with server.client() as client:
        client.post("/v1/kbs", json={"name": "docs"})
        before = _rss()
        job = upload(client, "docs", [bomb, laughs, span, fine])
        assert _rss() - before < 100 * MB
        assert job["status"] == "done" and job["report"]["indexed_files"] == 1
        reasons = {s["source"]: s["reason"] for s in job["report"]["skipped"]}
        assert "decompression bomb" in reasons["bomb.docx"] and "DTD" in reasons["laughs.docx"]
        assert "memory budget" in reasons["span.docx"]
        assert [s["source"] for s in client.get("/v1/kbs/docs/sources").json()] == ["policy.docx"]


def test_one_readers_questions_are_not_revealed_to_another_by_the_answer_cache(serve: Factory):
    server = serve(api_keys="required")
    store = KeyStore(server.state.settings.keys_path())
    _, admin = store.add([Grant(index="*", scope="write")])
    _, alice = store.add([Grant(index="docs", scope="read")])
    _, bob = store.add([Grant(index="docs", scope="read")])
    with server.client(admin) as client:
        client.post("/v1/kbs", json={"name": "docs"})
        upload(client, "docs", sorted(EXAMPLES_KB.iterdir()))
    question = {"index": "docs", "question": "Are layoffs planned?"}
    with server.client(alice) as client:
        assert client.post("/v1/ask", json=question).json()["cached"] is False
        assert client.post("/v1/ask", json=question).json()["cached"] is True  # her own repeat is a hit
    with server.client(bob) as client:
        assert client.post("/v1/ask", json=question).json()["cached"] is False
