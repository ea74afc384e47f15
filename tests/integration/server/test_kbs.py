"""Knowledge-base management over real HTTP: create, upload (a job), sources, delete a source, re-index, delete."""

from __future__ import annotations

from pathlib import Path

import pytest

from ragkit.kb import KnowledgeBase
from tests.helpers import EXAMPLES_KB
from tests.integration.server.live import Factory, LiveServer, sse_json, wait_job

pytestmark = pytest.mark.integration


def test_create_list_info_and_delete(serve: Factory):
    server = serve()
    with server.client() as client:
        created = client.post("/v1/kbs", json={"name": "notes", "embedder": "hashing:128"})
        assert created.status_code == 201, created.text
        assert created.json()["chunks"] == 0 and created.json()["dimension"] == 128
        assert "path" not in created.json()  # no server paths
        assert client.post("/v1/kbs", json={"name": "notes"}).status_code == 409
        assert client.get("/v1/kbs").json() == ["notes"]
        assert client.get("/v1/kbs/notes").json()["name"] == "notes"
        assert client.delete("/v1/kbs/notes").status_code == 204
        assert client.get("/v1/kbs/notes").status_code == 404
        assert client.get("/v1/kbs").json() == []
        assert not any((server.state.kbs.root).iterdir())  # nothing left behind


def test_create_refuses_bad_names_and_server_paths_as_embedder(serve: Factory):
    with serve().client() as client:
        bad_name = client.post("/v1/kbs", json={"name": "../escape"})
        assert bad_name.status_code == 400 and "invalid index name" in bad_name.json()["error"]["message"]
        path_embedder = client.post("/v1/kbs", json={"name": "ok", "embedder": "/etc"})
        assert path_embedder.status_code == 400 and "not offered" in path_embedder.json()["error"]["message"]
        assert client.get("/v1/kbs").json() == []


def test_upload_indexes_as_a_job_and_lists_sources_by_name(docs: LiveServer):
    with docs.client() as client:
        sources = client.get("/v1/kbs/docs/sources").json()
    assert [s["source"] for s in sources] == sorted(p.name for p in EXAMPLES_KB.iterdir())
    assert all(s["chunks"] >= 1 for s in sources)


def test_job_progress_streams_as_server_sent_events(docs: LiveServer, tmp_path: Path):
    note = tmp_path / "extra.md"
    note.write_text("# Parking\nStaff park in the north garage, level two.\n")
    with docs.client() as client:
        job = client.post("/v1/kbs/docs/files", files=[("files", (note.name, note.read_bytes()))]).json()
        with client.stream("GET", f"/v1/jobs/{job['id']}/events") as response:
            events = sse_json(response)
    assert events[-1][0] == "done" and events[-1][1]["report"]["indexed_files"] == 1
    assert {name for name, _ in events[:-1]} <= {"progress"}


def test_upload_checks_type_size_count_and_name(serve: Factory):
    server = serve(max_upload_mb=0.001, max_files=2)
    with server.client() as client:
        client.post("/v1/kbs", json={"name": "kb"})
        unsupported = client.post("/v1/kbs/kb/files", files=[("files", ("tool.exe", b"MZ"))])
        assert unsupported.status_code == 415 and ".exe" in unsupported.json()["error"]["message"]
        big = client.post("/v1/kbs/kb/files", files=[("files", ("big.txt", b"x" * 5000))])
        assert big.status_code == 413
        many = client.post("/v1/kbs/kb/files", files=[("files", (f"{i}.txt", b"hi")) for i in range(3)])
        assert many.status_code == 413 and "at most 2" in many.json()["error"]["message"]
        hidden = client.post("/v1/kbs/kb/files", files=[("files", ("../.bashrc", b"x"))])
        assert hidden.status_code == 400
        assert client.post("/v1/kbs/nope/files", files=[("files", ("a.txt", b"hi"))]).status_code == 404
        traversal = client.post("/v1/kbs/kb/files", files=[("files", ("../../evil.txt", b"Evil plans."))])
        assert wait_job(client, traversal.json())["status"] == "done"
        assert [s["source"] for s in client.get("/v1/kbs/kb/sources").json()] == ["evil.txt"]
    files = server.state.kbs.directory("kb") / "files"
    assert sorted(p.name for p in files.iterdir()) == ["evil.txt"]  # nothing staged or rejected is left
    assert not (server.state.kbs.root.parent / "evil.txt").exists()


def test_unreadable_upload_is_reported_and_not_kept(docs: LiveServer):
    with docs.client() as client:
        job = client.post("/v1/kbs/docs/files", files=[("files", ("empty.md", b"   "))]).json()
        report = wait_job(client, job)["report"]
    assert report["skipped"] == [{"source": "empty.md", "reason": "empty file"}]
    assert not (docs.state.kbs.directory("docs") / "files" / "empty.md").exists()


def test_failed_indexing_leaves_files_and_index_as_they_were(docs: LiveServer, monkeypatch: pytest.MonkeyPatch):
    def broken(self, *args, **kwargs):
        raise RuntimeError("disk on fire")

    files = docs.state.kbs.directory("docs") / "files"
    before = {p.name: p.read_bytes() for p in files.iterdir()}
    monkeypatch.setattr(KnowledgeBase, "index", broken)
    with docs.client() as client:
        generation = client.get("/v1/kbs/docs").json()["generation"]
        replace = ("files", ("security.txt", b"Passwords are optional."))
        job = wait_job(client, client.post("/v1/kbs/docs/files", files=[replace, ("files", ("new.md", b"New."))]).json())
        assert job["status"] == "failed" and job["error_status"] == 500
        assert "disk on fire" not in job["error"]  # internal errors stay in the server log
        assert client.get("/v1/kbs/docs").json()["generation"] == generation
    assert {p.name: p.read_bytes() for p in files.iterdir()} == before


def test_deleted_source_is_no_longer_cited(docs: LiveServer):
    question = {"index": "docs", "question": "What is the hotel cap in capital cities?"}
    with docs.client() as client:
        cited = client.post("/v1/ask", json=question).json()["citations"]
        assert [c["source"] for c in cited] == ["travel-policy.pdf"]
        deleted = client.delete("/v1/kbs/docs/sources/travel-policy.pdf")
        assert deleted.status_code == 200 and deleted.json()["deleted_chunks"] >= 1
        after = client.post("/v1/ask", json=question).json()
        assert "travel-policy.pdf" not in {c["source"] for c in after["passages"]}
        assert "travel-policy.pdf" not in [s["source"] for s in client.get("/v1/kbs/docs/sources").json()]
        assert client.delete("/v1/kbs/docs/sources/travel-policy.pdf").status_code == 404
    assert not (docs.state.kbs.directory("docs") / "files" / "travel-policy.pdf").exists()


def test_reindex_rebuilds_from_the_uploaded_files(docs: LiveServer):
    with docs.client() as client:
        before = client.get("/v1/kbs/docs").json()
        (docs.state.kbs.directory("docs") / "files" / "security.txt").unlink()
        job = wait_job(client, client.post("/v1/kbs/docs/reindex", json={"rebuild": True}).json())
        assert job["status"] == "done" and job["kind"] == "reindex"
        after = client.get("/v1/kbs/docs").json()
    assert after["generation"] != before["generation"]
    assert set(before["sources"]) - set(after["sources"]) == {"security.txt"}
