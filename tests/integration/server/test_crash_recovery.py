"""A real `ragkit serve` killed with SIGKILL mid-upload and restarted: the job still answers with what became of
it, no staging is left behind, and the files folder and the index agree."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.integration.server.live import wait_job

pytestmark = [pytest.mark.integration, pytest.mark.skipif(sys.platform == "win32", reason="needs SIGKILL")]


class Served:
    """`ragkit serve` in a child process (hashing embedder: no model is loaded for uploads)."""

    def __init__(self, indexes: Path):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[3]), "HF_HUB_OFFLINE": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-c", "from ragkit.cli import app; app()", "serve", "--indexes", str(indexes),
             "--embedder", "hashing", "--port", str(port)], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(self.url + "/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert self.process.poll() is None and time.monotonic() < deadline, "ragkit serve did not start"
            time.sleep(0.2)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60)

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(30)


def test_a_server_killed_while_indexing_an_upload_recovers_it_on_restart(tmp_path: Path):
    indexes = tmp_path / "indexes"
    server = Served(indexes)
    try:
        with server.client() as client:
            assert client.post("/v1/kbs", json={"name": "docs"}).status_code == 201
            first = client.post("/v1/kbs/docs/files", files=[("files", ("policy.md", b"# Policy\n\nThe cap is 100."))])
            assert wait_job(client, first.json())["status"] == "done"
            text = "".join(f"Paragraph {i} of the handbook says rule {i} applies.\n\n" for i in range(40_000))
            files = [("files", (f"part{i}.md", text.encode())) for i in range(6)]
            files.append(("files", ("policy.md", b"# Policy\n\nThe cap is 200.")))
            job = client.post("/v1/kbs/docs/files", files=files).json()
            deadline = time.monotonic() + 30
            while client.get(f"/v1/jobs/{job['id']}").json()["status"] == "queued":
                assert time.monotonic() < deadline
                time.sleep(0.01)
    finally:
        server.kill()
    assert list((indexes / "docs" / "files").glob(".upload-*")), "the kill should interrupt the upload"
    server = Served(indexes)
    try:
        with server.client() as client:
            after = client.get(f"/v1/jobs/{job['id']}")
            assert after.status_code == 200 and after.json()["status"] in ("done", "failed"), after.text
            sources = {s["source"] for s in client.get("/v1/kbs/docs/sources").json()}
            print("after the restart:", after.json())
            reindexed = wait_job(client, client.post("/v1/kbs/docs/reindex").json())
    finally:
        server.kill()
    files = indexes / "docs" / "files"
    assert not list(files.glob(".upload-*")), "staging left behind"
    on_disk = {p.name for p in files.iterdir() if not p.name.startswith(".")}
    assert on_disk == sources  # files/ and the index agree
    assert reindexed["status"] == "done" and reindexed["report"]["indexed_files"] == 0  # nothing unindexed in files/
    cap = (files / "policy.md").read_text()
    if after.json()["status"] == "failed":
        assert "upload the files again" in after.json()["error"] and sources == {"policy.md"} and "100" in cap
    else:
        assert "completed on restart" in after.json()["report"]["recovered"] and "200" in cap
