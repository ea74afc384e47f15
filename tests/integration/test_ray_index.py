"""ray_index on a local Ray builds the index the local Indexer builds, in the same on-disk format."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ragkit import distributed
from ragkit.cli import app
from ragkit.distributed import ray_index
from ragkit.embeddings import from_spec
from ragkit.indexing import Indexer, display_source
from ragkit.kb import KnowledgeBase
from ragkit.settings import IndexSettings
from ragkit.store import AnnVectorStore, FaissIndex, register_ann_backend
from ragkit.store.persist import MANIFEST, read_manifest
from tests.helpers import EXAMPLES_KB

pytestmark = pytest.mark.integration
ray = pytest.importorskip("ray")

SPEC = "hashing:256"


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, logging_level=logging.WARNING)
    yield
    ray.shutdown()


@pytest.fixture()
def bad_files(tmp_path: Path) -> Path:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "empty.md").write_text("")
    (bad / "data.bin").write_bytes(b"\x00\x01\x02")
    return bad


def _docs(store: AnnVectorStore) -> dict[str, tuple[str, dict]]:
    """Every chunk of a store: id -> (text, metadata)."""
    rows = [row for source in store.docstore.sources() for row in store.docstore.rows_for_source(source)]
    return {doc.id: (doc.text, doc.metadata) for doc in store.docstore.by_rows(rows).values()}


def test_ray_index_matches_local_indexer(local_ray: None, tmp_path: Path, bad_files: Path,
                                         monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(distributed, "MERGE_ROWS", 3)  # several adds, so the merge streams the shards
    embedder = from_spec(SPEC)
    paths = [EXAMPLES_KB, bad_files]
    built = ray_index(paths, tmp_path / "ray", SPEC, actors=1, batch_size=4)
    local = Indexer(tmp_path / "local", embedder).run(paths)

    assert built.chunks == built.new_chunks == built.embedded_chunks == local.chunks > 5
    assert (built.files, built.indexed_files) == (local.files, local.indexed_files) == (7, 5)
    assert built.skipped == local.skipped
    assert [source for source, _ in built.skipped] == [display_source(bad_files / n) for n in ("data.bin", "empty.md")]
    ray_store = AnnVectorStore.load(tmp_path / "ray", embedder)
    local_store = AnnVectorStore.load(tmp_path / "local", embedder)
    assert _docs(ray_store) == _docs(local_store)
    assert ray_store.docstore.sources() == local_store.docstore.sources()
    query = "How many characters must a password have?"
    top = ray_store.similarity_search(query, k=1)[0]
    assert top.id == local_store.similarity_search(query, k=1)[0].id
    assert top.metadata["source"].endswith("security.txt")
    assert KnowledgeBase(path=tmp_path / "ray").store.similarity_search(query, k=1)[0].id == top.id
    assert not list((tmp_path / "ray").glob(".ray-shards-*"))

    again = Indexer(tmp_path / "ray", embedder).run(paths)
    assert again.embedded_chunks == 0 and again.indexed_files == 0
    assert again.unchanged_files == 5 and again.chunks == built.chunks


class _RenamedFaiss(FaissIndex):
    """FAISS under another backend name: tells the backend built from the default one."""


def test_ray_index_builds_and_records_the_backend_asked_for(local_ray: None, tmp_path: Path):
    register_ann_backend("faiss-renamed", _RenamedFaiss)
    ray_index([EXAMPLES_KB], tmp_path / "ray", SPEC, IndexSettings(backend="faiss-renamed"), actors=1)
    manifest = read_manifest(tmp_path / "ray")
    assert manifest.backend == manifest.settings["backend"] == "faiss-renamed"
    assert isinstance(AnnVectorStore.load(tmp_path / "ray", from_spec(SPEC)).index, _RenamedFaiss)


def test_cli_index_on_ray_then_refuses_the_existing_index(local_ray: None, indexes: Path):
    runner = CliRunner()
    args = ["index", str(EXAMPLES_KB), "--index", "r", "--embedder", "hashing", "--ray"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "indexed 5 of 5 files into 'r'" in result.output
    assert (indexes / "r" / MANIFEST).is_file()
    again = runner.invoke(app, args)
    assert again.exit_code == 2 and "already holds an index" in again.output
