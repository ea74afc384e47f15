"""On-disk index format: generation directories plus a manifest written last, so a crash never breaks a saved index.

    NAME/manifest.json        format version, embedder id and spec, dimension, metric, factory, count, files and sha256
    NAME/gen-000007/index.faiss
    NAME/gen-000007/docstore.sqlite
    NAME/embeddings.sqlite    embedding cache (outside generations: it only grows)

A save writes a new generation in a temporary directory, fsyncs it, renames it, then atomically replaces
manifest.json; older generations are removed after. Nothing is pickled.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ragkit.errors import IndexFormatError, IndexNotFoundError
from ragkit.hashing import file_sha256

FORMAT = "ragkit-index"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
INDEX_FILE = "index.faiss"
DOCSTORE_FILE = "docstore.sqlite"


@dataclass
class Manifest:
    """What a saved index is; checked on every load."""

    embedder: str
    dimension: int
    factory: str
    count: int
    generation: str = ""
    embedder_spec: str = ""
    """How to rebuild the embedder (ragkit.embeddings.from_spec), so `ragkit ask` uses the one that built the index."""
    metric: str = "cosine"
    settings: dict[str, Any] = field(default_factory=dict)
    """The settings that shaped the index (ragkit.settings.IndexSettings.recorded)."""
    files: dict[str, str] = field(default_factory=dict)
    format: str = FORMAT
    format_version: int = FORMAT_VERSION


def read_manifest(directory: Path) -> Manifest:
    """Read and validate a manifest, with errors that say what is wrong."""
    path = directory / MANIFEST
    if not path.is_file():
        raise IndexNotFoundError(f"no index at {directory} (missing {MANIFEST}); build one with `ragkit index`")
    try:
        data = json.loads(path.read_text())
        manifest = Manifest(**data)
    except (ValueError, TypeError) as exc:
        raise IndexFormatError(f"{path} is not a valid ragkit manifest: {exc}") from exc
    if manifest.format != FORMAT or manifest.format_version > FORMAT_VERSION:
        raise IndexFormatError(
            f"{directory} has format {manifest.format} v{manifest.format_version}; "
            f"this ragkit reads {FORMAT} up to v{FORMAT_VERSION}"
        )
    return manifest


def generation_files(directory: Path, manifest: Manifest) -> dict[str, Path]:
    """Paths of the manifest's files, verified against their sha256."""
    paths = {}
    for name, digest in manifest.files.items():
        path = directory / manifest.generation / name
        if not path.is_file() or file_sha256(path) != digest:
            raise IndexFormatError(f"{path} is missing or does not match its checksum in {MANIFEST}")
        paths[name] = path
    return paths


def write_generation(directory: Path, manifest: Manifest, writers: dict[str, object]) -> None:
    """Write a new generation with the given file writers (name -> callable(path)), then publish the manifest."""
    directory.mkdir(parents=True, exist_ok=True)
    number = 1 + max((int(p.name[4:]) for p in directory.glob("gen-*") if p.name[4:].isdigit()), default=0)
    generation = f"gen-{number:06d}"
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=directory))
    try:
        for name, write in writers.items():
            write(staging / name)  # type: ignore[operator]
            _fsync(staging / name)
        manifest.files = {name: file_sha256(staging / name) for name in writers}
        manifest.generation = generation
        os.rename(staging, directory / generation)
        _fsync(directory)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    temp = directory / f".{MANIFEST}.tmp"
    temp.write_text(json.dumps(asdict(manifest), indent=2, sort_keys=True))
    _fsync(temp)
    os.replace(temp, directory / MANIFEST)
    _fsync(directory)
    for old in directory.iterdir():
        if (old.name.startswith("gen-") and old.name != generation) or old.name.startswith(".staging-"):
            shutil.rmtree(old, ignore_errors=True)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
