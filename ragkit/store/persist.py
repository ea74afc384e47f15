"""On-disk index format: generation directories plus a manifest written last, so a crash never breaks a saved index.

    NAME/manifest.json        format version, backend, embedder id and spec, dimension, metric, factory, count,
                              the settings that shaped the index, and the sha256 of every file of the generation
    NAME/gen-000007/index.faiss
    NAME/gen-000007/docstore.sqlite
    NAME/gen-000007/bm25/...  keyword index (optional, added by ragkit.retrieval.save_bm25)
    NAME/embeddings.sqlite    embedding cache (outside generations: it only grows)
    NAME/.lock                the write lock (flock), holding the writer's pid

A save takes the write lock, writes a new generation in its own staging directory, fsyncs it, renames it, then
atomically replaces manifest.json; older generations are removed after. Loading verifies the manifest and every
file's sha256, and retries on the new generation when a writer replaced the one it was reading. Nothing is pickled.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ragkit.digests import file_sha256
from ragkit.errors import IndexFormatError, IndexLockedError, IndexNotFoundError, InvalidInputError, RagkitError
from ragkit.store.ann import DEFAULT_BACKEND, ann_backends

log = logging.getLogger(__name__)

FORMAT = "ragkit-index"
FORMAT_VERSION = 2
"""v2 added `backend` and `settings` and may list files in subdirectories; v1 manifests still load."""
MANIFEST = "manifest.json"
DOCSTORE_FILE = "docstore.sqlite"
LOCK_FILE = ".lock"
_STAGING = ".staging-"
_GENERATION = re.compile(r"gen-(\d{6,})")
_LOAD_ATTEMPTS = 3

Writer = Callable[[Path], None]
"""Writes one file (or one directory of files) at the given path."""
T = TypeVar("T")


class Manifest(BaseModel):
    """What a saved index is; validated (strict types, no unknown fields) on every load."""

    model_config = ConfigDict(extra="forbid", strict=True)

    embedder: str = Field(min_length=1)
    """model_id of the embedder that built the index; loading with another one is refused."""
    dimension: int = Field(gt=0)
    """Length of every vector."""
    factory: str = Field(min_length=1)
    """The backend's index type (for FAISS, its index_factory string)."""
    count: int = Field(ge=0)
    """Number of live chunks; the docstore and the vector index must both hold exactly this many."""
    generation: str = Field(default="", pattern=r"^gen-[0-9]{6,}$")
    """Directory of the generation the manifest describes."""
    embedder_spec: str = ""
    """How to rebuild the embedder (ragkit.embeddings.from_spec), so `ragkit ask` uses the one that built the index."""
    embedder_sha256: str = Field(default="", pattern=r"^([0-9a-f]{64})?$")
    """sha256 of the embedder's weights (a fine-tuned model's, an adapter's map), '' where it has none."""
    metric: Literal["cosine"] = "cosine"
    """Similarity of the scores (vectors are unit length, searched by inner product)."""
    files: dict[str, str] = Field(default_factory=dict, min_length=1)
    """Every file of the generation (relative POSIX path) and its sha256."""
    format: Literal["ragkit-index"] = "ragkit-index"
    """Marks the directory as a ragkit index."""
    format_version: int = Field(default=FORMAT_VERSION, ge=1, le=FORMAT_VERSION)
    """On-disk format version."""
    backend: str = DEFAULT_BACKEND
    """Name of the ANN backend (ragkit.store.ann registry) that wrote the vector index; v1 indexes are FAISS."""
    settings: dict[str, Any] = Field(default_factory=dict)
    """The settings that shaped the index (chunking, factory, ...), as a JSON object; filled by the indexer."""

    @field_validator("files")
    @classmethod
    def _safe_files(cls, files: dict[str, str]) -> dict[str, str]:
        for name, digest in files.items():
            parts = PurePosixPath(name).parts
            if not parts or name.startswith("/") or "\\" in name or any(p in ("", ".", "..") for p in parts):
                raise ValueError(f"file name {name!r} is not a plain relative path")
            if not re.fullmatch(r"[0-9a-f]{64}", digest):
                raise ValueError(f"sha256 of {name!r} is not 64 hex digits")
        return files


def damaged(directory: Path, reason: str) -> IndexFormatError:
    """The one error every failure to read a saved index becomes."""
    name = Path(directory).name
    return IndexFormatError(f"index {name} is damaged ({reason}): rebuild it with `ragkit index PATH --index {name}`")


def read_manifest(directory: Path) -> Manifest:
    """Read and validate a manifest, with errors that say what is wrong."""
    directory = Path(directory)
    path = directory / MANIFEST
    if not path.is_file():
        raise IndexNotFoundError(f"no index at {directory} (missing {MANIFEST}); build one with `ragkit index`")
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError, RecursionError) as exc:
        raise damaged(directory, f"{MANIFEST} is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise damaged(directory, f"{MANIFEST} is not a JSON object")
    version = data.get("format_version")
    if data.get("format") == FORMAT and type(version) is int and version > FORMAT_VERSION:
        raise IndexFormatError(
            f"{directory} has format {FORMAT} v{version}; this ragkit reads {FORMAT} up to v{FORMAT_VERSION}: "
            "upgrade ragkit or rebuild the index"
        )
    try:
        manifest = Manifest.model_validate(data)
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "manifest"
        raise damaged(directory, f"{MANIFEST}: {where}: {problem['msg']}") from exc
    if manifest.backend not in ann_backends():
        raise IndexFormatError(
            f"index {directory.name} was written by ANN backend {manifest.backend!r}, which is not registered "
            f"(registered: {', '.join(ann_backends())}); import the module that registers it"
        )
    return manifest


def generation_files(directory: Path, manifest: Manifest, prefix: str = "") -> dict[str, Path]:
    """Paths of the manifest's files (those under `prefix` if given), verified against their sha256."""
    paths = {}
    for name, digest in manifest.files.items():
        if not name.startswith(prefix):
            continue
        path = Path(directory) / manifest.generation / name
        if not path.is_file() or file_sha256(path) != digest:
            raise damaged(directory, f"{manifest.generation}/{name} is missing or does not match its checksum")
        paths[name] = path
    return paths


def load_generation(directory: Path, read: Callable[[Manifest, dict[str, Path]], T], prefix: str = "") -> T:
    """read(manifest, verified files) on the current generation; retried on the new one when a writer replaced it
    meanwhile. Every failure other than a RagkitError becomes `damaged`."""
    directory = Path(directory)
    for attempt in range(1, _LOAD_ATTEMPTS + 1):
        manifest = read_manifest(directory)
        try:
            return read(manifest, generation_files(directory, manifest, prefix))
        except Exception as exc:
            if attempt < _LOAD_ATTEMPTS and read_manifest(directory).generation != manifest.generation:
                log.info("index %s: %s was replaced while loading; loading the new one", directory, manifest.generation)
                continue
            if isinstance(exc, RagkitError):
                raise
            raise damaged(directory, f"{type(exc).__name__}: {str(exc)[:200]}") from exc
    raise AssertionError("unreachable")


_held: set[tuple[str, int]] = set()
"""Write locks this process holds, by (lock file, thread): taking one again in the same thread is a no-op."""
_held_guard = threading.Lock()


@contextmanager
def write_lock(directory: Path, wait: bool | float = True) -> Iterator[None]:
    """Hold the index's exclusive write lock (flock on NAME/.lock; reentrant within a thread, released if the process
    dies). `wait`: True waits as long as it takes, False refuses at once, a number waits that many seconds; a
    refusal raises IndexLockedError naming the writer's pid."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / LOCK_FILE
    key = (str(path.resolve()), threading.get_ident())
    with _held_guard:
        reentered = key in _held
    if reentered:
        yield
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        _acquire(fd, wait, directory)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        with _held_guard:
            _held.add(key)
        try:
            yield
        finally:
            with _held_guard:
                _held.discard(key)
    finally:
        os.close(fd)  # releases the flock


def _acquire(fd: int, wait: bool | float, directory: Path) -> None:
    if wait is True:
        fcntl.flock(fd, fcntl.LOCK_EX)
        return
    deadline = time.monotonic() + (0.0 if wait is False else float(wait))
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            if time.monotonic() >= deadline:
                break
            time.sleep(0.05)
    holder = (directory / LOCK_FILE).read_text().strip() or "unknown"
    waited = f" and did not finish within {float(wait):g} s" if wait is not False else ""
    raise IndexLockedError(
        f"index {directory.name} is being written by another process (pid {holder}){waited}; "
        "wait for it to finish, then run again"
    )


def write_generation(directory: Path, manifest: Manifest, writers: Mapping[str, Writer]) -> None:
    """Write a new generation with the given writers (name -> writer of that file or directory), then publish the
    manifest; takes the write lock (waiting for another writer to finish)."""
    _write(Path(directory), manifest, writers, {})


def extend_generation(directory: Path, writers: Mapping[str, Writer]) -> None:
    """Publish a generation holding the current one's files (hard-linked) plus, or in place of, the writers' ones."""
    directory = Path(directory)
    with write_lock(directory):
        manifest = read_manifest(directory)
        kept = {name: digest for name, digest in manifest.files.items()
                if not any(name == w or name.startswith(w + "/") for w in writers)}
        _write(directory, manifest, writers, kept)


def _write(directory: Path, manifest: Manifest, writers: Mapping[str, Writer], kept: dict[str, str]) -> None:
    """Stage kept files of manifest's generation (linked) and the writers' files, publish; under the write lock."""
    with write_lock(directory):
        for stale in directory.glob(_STAGING + "*"):  # a live writer would hold the lock: these writers died
            shutil.rmtree(stale, ignore_errors=True)
        staging = Path(tempfile.mkdtemp(prefix=_STAGING, dir=directory))
        try:
            for name in kept:
                _link(directory / manifest.generation / name, staging / name)
            for name, write in writers.items():
                write(staging / name)
            written = [p for name in writers for p in _files_under(staging / name)]
            for path in written:
                _fsync(path)
            for folder in {p.parent for p in written} - {staging}:
                _fsync(folder)
            manifest.files = {**kept, **{p.relative_to(staging).as_posix(): file_sha256(p) for p in written}}
            manifest.generation = _next_generation(directory)
            os.rename(staging, directory / manifest.generation)
            _fsync(directory)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        temp = directory / f".{MANIFEST}.tmp"
        temp.write_text(manifest.model_dump_json(indent=2))
        _fsync(temp)
        os.replace(temp, directory / MANIFEST)
        _fsync(directory)
        for old in directory.glob("gen-*"):
            if old.name != manifest.generation:
                shutil.rmtree(old, ignore_errors=True)


def _next_generation(directory: Path) -> str:
    numbers = [int(m.group(1)) for p in directory.iterdir() if (m := _GENERATION.fullmatch(p.name))]
    return f"gen-{1 + max(numbers, default=0):06d}"


def _files_under(path: Path) -> list[Path]:
    return sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]


def _link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(source, target)
    except OSError:  # no hard links on this file system
        shutil.copy2(source, target)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def settings_json(settings: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of settings, refused with InvalidInputError unless it is a JSON object."""
    try:
        return json.loads(json.dumps(dict(settings), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"index settings must be a JSON object: {exc}") from exc
