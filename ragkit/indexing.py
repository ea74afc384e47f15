"""Index files into a saved FaissVectorStore: load, split, embed through the cache, upsert by source, save.

Unchanged files (same sha256 as when indexed) are skipped; a changed file has its chunks replaced, and only
chunks whose text is new get embedded. Vectors are cached per batch, so a killed run loses at most one batch.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ragkit.embeddings.base import VectorEmbeddings
from ragkit.embeddings.cache import EmbeddingCache
from ragkit.errors import IndexNotFoundError, SkipFile
from ragkit.hashing import file_sha256
from ragkit.ingest import Chunk, Splitter, iter_files, load_file
from ragkit.retrieval import save_bm25
from ragkit.store import FaissVectorStore, auto_factory

CACHE_FILE = "embeddings.sqlite"
Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stages are 'read' (files) and 'embed' (chunks)."""


@dataclass
class IndexReport:
    """What one indexing run did."""

    files: int = 0
    indexed_files: int = 0
    unchanged_files: int = 0
    removed_files: int = 0
    chunks: int = 0
    new_chunks: int = 0
    embedded_chunks: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    seconds: float = 0.0


def display_source(path: Path) -> str:
    """Sources are stored relative to the working directory when inside it, so citations read `examples/x.md`."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def open_store(directory: Path, embedder: VectorEmbeddings, factory: str = "Flat") -> FaissVectorStore:
    """The saved store at directory, or a new empty one if none was saved yet."""
    try:
        return FaissVectorStore.load(directory, embedder)
    except IndexNotFoundError:
        return FaissVectorStore(embedder, factory)


class Indexer:
    """Builds and updates one index directory."""

    def __init__(self, directory: Path, embedder: VectorEmbeddings, chunk_tokens: int = 100,
                 overlap_tokens: int = 16, factory: str = "auto", batch_chunks: int = 2048):
        self.directory = Path(directory)
        self.embedder = embedder
        self.splitter = Splitter(embedder.count_tokens, chunk_tokens, overlap_tokens)
        self.factory = factory
        self.batch_chunks = batch_chunks

    def run(self, paths: Iterable[str | Path], progress: Progress | None = None) -> IndexReport:
        """Index files and directories; bad files are skipped with a reason, missing paths raise."""
        started = time.perf_counter()
        report = IndexReport()
        files = list(iter_files(paths))
        report.files = len(files)
        store = open_store(self.directory, self.embedder, "Flat")
        known = store.docstore.sources()
        pending: list[tuple[str, str, list[Chunk]]] = []
        for done, path in enumerate(files, start=1):
            source = display_source(path)
            try:
                digest = file_sha256(path)
            except OSError as exc:
                report.skipped.append((source, f"unreadable: {exc.strerror or exc}"))
                continue
            if known.get(source) == digest:
                report.unchanged_files += 1
            else:
                try:
                    pending.append((source, digest, self.splitter.split(load_file(path), source)))
                except SkipFile as exc:
                    report.skipped.append((source, str(exc)))
                    if source in known:
                        store.delete_by_source(source)
            if progress:
                progress("read", done, len(files))
        report.removed_files = self._prune_missing(store, paths, known)
        total = sum(len(chunks) for _, _, chunks in pending)
        if len(store) == 0 and self.factory == "auto":
            store = FaissVectorStore(self.embedder, auto_factory(total))
        elif len(store) == 0 and store.factory != self.factory:
            store = FaissVectorStore(self.embedder, self.factory)
        self._embed_and_add(store, pending, total, report, progress)
        report.indexed_files = len(pending)
        report.new_chunks = total
        report.chunks = len(store)
        if pending or report.removed_files or not (self.directory / "manifest.json").exists():
            store.save(self.directory)
            save_bm25(store, self.directory)
        report.seconds = time.perf_counter() - started
        return report

    def _embed_and_add(self, store: FaissVectorStore, pending: list[tuple[str, str, list[Chunk]]], total: int,
                       report: IndexReport, progress: Progress | None) -> None:
        cache = EmbeddingCache(self.directory / CACHE_FILE)
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress("embed", done, total)

        try:
            # The first group trains an IVF/PQ index: it gets enough chunks for that, later ones batch_chunks.
            for group in _groups(pending, self.batch_chunks, max(self.batch_chunks, store.training_size())):
                chunks = [c for _, _, cs in group for c in cs]
                vectors, embedded = cache.embed(self.embedder, [c.text for c in chunks], [c.hash for c in chunks],
                                                progress=tick)
                report.embedded_chunks += embedded
                for source, _, _ in group:
                    store.delete_by_source(source)
                store.add_vectors(vectors, [c.text for c in chunks], [c.metadata for c in chunks],
                                  [c.id for c in chunks])
                for source, digest, _ in group:
                    store.docstore.set_source(source, digest)
        finally:
            cache.close()

    @staticmethod
    def _prune_missing(store: FaissVectorStore, paths: Iterable[str | Path], known: dict[str, str]) -> int:
        """Drop indexed sources that lived under a given directory and no longer exist."""
        roots = [display_source(Path(p)) for p in paths if Path(p).is_dir()]
        gone = [s for s in known if any(s.startswith(r.rstrip(os.sep) + os.sep) for r in roots)
                and not Path(s).exists()]
        for source in gone:
            store.delete_by_source(source)
        return len(gone)


def _groups(pending: list[tuple[str, str, list[Chunk]]], size: int,
            first: int) -> Iterable[list[tuple[str, str, list[Chunk]]]]:
    """Whole files per group, about `size` chunks each (`first` for the first), so a file's chunks go in together."""
    group: list[tuple[str, str, list[Chunk]]] = []
    count = 0
    for item in pending:
        group.append(item)
        count += len(item[2])
        if count >= first:
            yield group
            group, count, first = [], 0, size
    if group:
        yield group
