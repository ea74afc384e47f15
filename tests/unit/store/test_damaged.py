"""Damaged or crafted indexes: every lie in the manifest, every file that disagrees with another, and every crafted
file that passes the checksums ends in one IndexFormatError ("index X is damaged (...): rebuild it with ...")."""

import json
import shutil
import sqlite3
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from ragkit.errors import IndexFormatError
from ragkit.store import AnnVectorStore
from ragkit.store.persist import MANIFEST
from tests.unit.store.damage import EMBEDDER, build, generation, manifest, rehash, results

pytestmark = pytest.mark.unit
DAMAGED = r"index idx is damaged \(.*\): rebuild it with `ragkit index PATH --index idx`"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("pristine") / "idx"
    build(directory)
    return directory


@pytest.fixture()
def index(pristine: Path, tmp_path: Path) -> Path:
    shutil.copytree(pristine, tmp_path / "idx")
    return tmp_path / "idx"


def _edit_manifest(directory: Path, change: Callable[[dict], None]) -> None:
    data = manifest(directory)
    change(data)
    (directory / MANIFEST).write_text(json.dumps(data))


MANIFEST_LIES = {
    "files emptied": lambda m: m.update(files={}),
    "files partial": lambda m: m["files"].pop("docstore.sqlite"),
    "string format_version": lambda m: m.update(format_version="2"),
    "count lie": lambda m: m.update(count=m["count"] + 1),
    "negative count": lambda m: m.update(count=-1),
    "factory lie": lambda m: m.update(factory="HNSW16"),
    "unknown factory": lambda m: m.update(factory="NoSuchIndex9"),
    "metric lie": lambda m: m.update(metric="l2"),
    "dimension lie": lambda m: m.update(dimension=64),
    "zero dimension": lambda m: m.update(dimension=0),
    "boolean count": lambda m: m.update(count=True),
    "generation outside the index": lambda m: m.update(generation="../../elsewhere"),
    "file outside the generation": lambda m: m["files"].update({"../../etc/passwd": "0" * 64}),
    "bad checksum format": lambda m: m["files"].update({"docstore.sqlite": "abc"}),
    "unknown field": lambda m: m.update(owner="mallory"),
    "settings not an object": lambda m: m.update(settings=[1, 2]),
    "missing field": lambda m: m.pop("embedder"),
}


@pytest.mark.parametrize("lie", list(MANIFEST_LIES))
def test_manifest_lies_are_refused(index: Path, lie: str) -> None:
    _edit_manifest(index, MANIFEST_LIES[lie])
    with pytest.raises(IndexFormatError, match=DAMAGED):
        AnnVectorStore.load(index, EMBEDDER)


def test_an_embedder_lie_is_refused_by_name(index: Path) -> None:
    _edit_manifest(index, lambda m: m.update(embedder="ragkit-hashing-64", embedder_spec="hashing:64"))
    with pytest.raises(IndexFormatError, match="built with embedder 'ragkit-hashing-64'"):
        AnnVectorStore.load(index, EMBEDDER)


@pytest.mark.parametrize("text", ["", "{", "[1, 2]", '"a string"', "null", "[" * 100_000])
def test_manifests_that_are_not_json_objects_are_refused(index: Path, text: str) -> None:
    (index / MANIFEST).write_text(text)
    with pytest.raises(IndexFormatError, match=DAMAGED):
        AnnVectorStore.load(index, EMBEDDER)


def test_a_version_1_manifest_without_backend_and_settings_still_loads(index: Path, pristine: Path) -> None:
    _edit_manifest(index, lambda m: [m.pop("backend"), m.pop("settings"), m.update(format_version=1)])
    assert results(index) == results(pristine)


@pytest.mark.parametrize(("why", "factory", "size", "dimension"), [
    ("another type", "HNSW16", 40, 32), ("other ids", "Flat", 40, 32), ("fewer vectors", "Flat", 30, 32),
    ("another dimension", "Flat", 40, 16),
])
def test_a_crafted_faiss_file_with_matching_checksum_is_refused(index: Path, why: str, factory: str, size: int,
                                                                dimension: int) -> None:
    from ragkit.embeddings import HashingEmbeddings

    other = AnnVectorStore.from_texts([f"text {i}" for i in range(size)], HashingEmbeddings(dimension),
                                        factory=factory)  # rows 1..size; the index's live rows skip 4 and 10
    other.index.save(generation(index) / "index.faiss")  # type: ignore[union-attr]
    rehash(index)
    with pytest.raises(IndexFormatError, match=DAMAGED):
        AnnVectorStore.load(index, EMBEDDER)


SQL_CRAFTS = {
    "a chunk removed": "DELETE FROM docs WHERE row = 5",
    "a row renumbered": "UPDATE docs SET row = 999 WHERE row = 5",
    "metadata not JSON": "UPDATE docs SET metadata = '{not json' WHERE row = 5",
    "metadata a JSON list": "UPDATE docs SET metadata = '[1]' WHERE row = 5",
    "text a blob": "UPDATE docs SET text = x'00ff' WHERE row = 5",
    "source disagrees with metadata": "UPDATE docs SET source = 'elsewhere.md' WHERE row = 5",
    "a tombstone that is a live chunk": "INSERT INTO tombstones VALUES (5)",
    "a tombstone the index lacks": "INSERT INTO tombstones VALUES (12345)",
    "another schema": "ALTER TABLE docs RENAME COLUMN text TO body",
    "a table dropped": "DROP TABLE sources",
}


@pytest.mark.parametrize("craft", list(SQL_CRAFTS))
def test_a_crafted_docstore_with_matching_checksum_is_refused(index: Path, craft: str) -> None:
    db = sqlite3.connect(generation(index) / "docstore.sqlite")
    db.execute(SQL_CRAFTS[craft])
    db.commit()
    db.close()
    rehash(index)
    with pytest.raises(IndexFormatError, match=DAMAGED):
        AnnVectorStore.load(index, EMBEDDER)


def test_bm25_files_are_covered_by_the_manifest(index: Path) -> None:
    listed = set(manifest(index)["files"])
    on_disk = {p.relative_to(generation(index)).as_posix() for p in generation(index).rglob("*") if p.is_file()}
    assert listed == on_disk and "bm25/rows.npy" in listed
    rows = generation(index) / "bm25" / "rows.npy"
    np.save(rows, np.load(rows)[::-1])  # the scrambled keyword search the issue found
    with pytest.raises(IndexFormatError, match=DAMAGED):
        AnnVectorStore.load(index, EMBEDDER)


def test_crafted_bm25_rows_with_matching_checksum_are_refused(index: Path) -> None:
    from ragkit.retrieval import load_bm25

    rows = generation(index) / "bm25" / "rows.npy"
    np.save(rows, np.load(rows)[::-1])
    rehash(index)
    store = AnnVectorStore.load(index, EMBEDDER)
    with pytest.raises(IndexFormatError, match=DAMAGED + ".*"):
        load_bm25(store, index)
