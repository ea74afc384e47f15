"""Index files into a saved AnnVectorStore: load, split, embed through the cache, upsert by source, save.

The input is streamed: files are read and split (optionally in reader processes) a group at a time,
so memory stays bounded by the group size, not the corpus. Unchanged files (same sha256 as when indexed) are
skipped; a changed file has its chunks replaced, and only chunks whose text is new get embedded. The embedding
cache is the checkpoint: it is committed per batch, so a killed run loses at most one batch and a rerun of the
same command embeds only what is left.
"""

from __future__ import annotations

import itertools
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from ragkit.digests import file_sha256
from ragkit.embeddings.base import VectorEmbeddings
from ragkit.embeddings.cache import EmbeddingCache
from ragkit.errors import IndexNotFoundError, SkipFile
from ragkit.ingest import Chunk, LoaderRegistry, Splitter, safe_name, walk
from ragkit.ingest.reader import load_within
from ragkit.ingest.registry import DEFAULT_LOADERS
from ragkit.ingest.scan import OCR_CACHE_FILE, PageProgress, ocr_context
from ragkit.retrieval import save_bm25
from ragkit.settings import IndexSettings, ReaderBudget
from ragkit.store import AnnVectorStore, auto_factory
from ragkit.store.persist import MANIFEST, read_manifest, write_lock
from ragkit.text import Language, detect_language

CACHE_FILE = "embeddings.sqlite"
OCR_SAMPLE_PAGES = 2
"""Pages of a scanned file that corpus_language OCRs."""
Progress = Callable[[str, int, int], None]
"""progress(stage, done, total): stages are 'read' (files), 'ocr' (pages of the files being OCR'd) and 'embed'
(chunks read so far)."""
Changed = tuple[str, str, list[Chunk]]
"""A file to (re)index: its source, sha256 and chunks."""


@dataclass(frozen=True)
class OcrTally:
    """OCR of one file's pages: how many were OCR'd now, how many came from the OCR cache, seconds spent."""

    pages: int = 0
    cached: int = 0
    seconds: float = 0.0


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
    ocr_pages: int = 0
    """Pages OCR'd in this run (scans, images)."""
    ocr_cached_pages: int = 0
    """Pages whose OCR text came from the OCR cache (OCR'd by an earlier run or to detect the corpus language)."""
    ocr_seconds: float = 0.0
    """Seconds spent rendering and OCR'ing pages (summed over reader processes)."""


def display_source(path: Path) -> str:
    """Sources are stored relative to the working directory when inside it, so citations read `examples/x.md`."""
    absolute = path.absolute()
    try:
        return str(absolute.relative_to(Path.cwd()))
    except ValueError:
        return str(absolute)


def open_store(directory: Path, embedder: VectorEmbeddings,
               settings: IndexSettings) -> tuple[AnnVectorStore, IndexSettings]:
    """The saved store at directory with the settings it was built with (explicit ones that differ are refused),
    or a new empty store if none was saved yet or the settings ask for a rebuild."""
    if settings.rebuild:
        return AnnVectorStore(embedder, "Flat", backend=settings.backend), settings
    try:
        manifest = read_manifest(directory)
    except IndexNotFoundError:
        return AnnVectorStore(embedder, "Flat", backend=settings.backend), settings
    recorded = {"factory": manifest.factory, "embedder": manifest.embedder_spec, "backend": manifest.backend,
                **manifest.settings}
    settings = settings.adopt(recorded, directory.name)
    return AnnVectorStore.load(directory, embedder), settings


def read_file(path: Path, source: str, known_digest: str | None, splitter: Splitter,
              loaders: LoaderRegistry = DEFAULT_LOADERS, ocr_cache: Path | None = None,
              pages: PageProgress | None = None,
              budget: ReaderBudget | None = ReaderBudget()) -> tuple[str, str, Any]:
    """(source, kind, value) for one file, kind being 'unchanged', 'skip' (value: the reason) or 'chunks' (value:
    sha256, chunks and OcrTally); module-level so reader processes can run it (they get the loaders registry
    pickled). OCR'd pages are cached in ocr_cache and reported to pages; the file is read within budget."""
    try:
        digest = file_sha256(path)
    except OSError as exc:
        return source, "skip", f"unreadable: {exc.strerror or exc}"
    if digest == known_digest:
        return source, "unchanged", None
    try:
        with ocr_context(ocr_cache, pages):
            loaded = load_within(path, budget, loaders)
    except SkipFile as exc:
        return source, "skip", str(exc)
    tally = OcrTally(sum(p.ocr == "ran" for p in loaded), sum(p.ocr == "cached" for p in loaded),
                     sum(p.ocr_seconds for p in loaded))
    return source, "chunks", (digest, splitter.split(loaded, source), tally)


class Indexer:
    """Builds and updates one index directory.

    Embedding already runs on every core (torch's intra-op threads). `workers` reader processes load and split
    files meanwhile: worth it where loading dominates (PDFs) or cores are many; on 2 cores one reader halved
    SciFact throughput by competing with the embedder. Scripts that set workers need an `if __name__ == "__main__":`
    guard, as reader processes are spawned.
    """

    def __init__(self, directory: Path, embedder: VectorEmbeddings, settings: IndexSettings | None = None,
                 loaders: LoaderRegistry | None = None):
        self.directory = Path(directory)
        self.embedder = embedder
        settings = settings or IndexSettings()
        if settings.embedder is not None:  # compare specs as the embedder writes them ('hashing' is 'hashing:256')
            settings = settings.model_copy(update={"embedder": embedder.spec})
        self.settings = settings
        self.loaders = DEFAULT_LOADERS if loaders is None else loaders

    def run(self, paths: Iterable[str | Path], progress: Progress | None = None) -> IndexReport:
        """Index files and directories; bad files are skipped with a reason, missing paths raise."""
        started = time.perf_counter()
        paths = list(paths)
        report = IndexReport()
        found = walk(paths, allow_external_links=self.settings.follow_external_links)
        files = found.files
        report.files = len(files) + len(found.skipped)
        report.skipped.extend((safe_name(display_source(path)), reason) for path, reason in found.skipped)
        # One writer at a time: a second run waits, then updates what the first one saved (read-modify-write).
        with write_lock(self.directory, wait=True):
            self._update(paths, files, report, progress)
        report.seconds = time.perf_counter() - started
        return report

    def _update(self, paths: list[str | Path], files: list[Path], report: IndexReport,
                progress: Progress | None) -> None:
        """The read-modify-write of one run, under the index's write lock."""
        store, settings = open_store(self.directory, self.embedder, self.settings)
        if settings.language == "auto":  # a new index: its language sets the chunk size and is recorded
            language = corpus_language(files, loaders=self.loaders, ocr_cache=self.directory / OCR_CACHE_FILE,
                                       budget=self.settings.reader)
            settings = settings.for_new_index(language, None)
        splitter = Splitter(self.embedder.count_tokens, *settings.chunking())
        known = store.docstore.sources()
        report.removed_files = self._prune_missing(store, paths, known)
        workers, batch = self.settings.workers, self.settings.batch_chunks
        readers = ProcessPoolExecutor(workers, mp_context=get_context("spawn")) if workers else nullcontext()
        with readers as pool, _page_progress(progress, pool is not None) as pages:
            changed = self._changed(files, known, splitter, report, progress, pool, pages)
            head = next(_groups(changed, batch, batch), [])  # sizes the new index
            if len(store) == 0:
                sizes = {display_source(path): _size(path) for path in files}
                head_bytes = sum(sizes.get(source, 0) for source, _, _ in head)
                store = self._empty_store(store, sum(len(c) for _, _, c in head), head_bytes, sum(sizes.values()))
            self._embed_and_add(store, itertools.chain(head, changed), report, progress)
        dropped = [source for source, _ in report.skipped if source in known]
        for source in dropped:
            store.delete_by_source(source)
        report.chunks = len(store)
        if report.indexed_files or report.removed_files or dropped or self.settings.rebuild or not (
                self.directory / MANIFEST).exists():
            store.save(self.directory, settings=settings.recorded(store.factory, self.embedder.spec))
            save_bm25(store, self.directory)

    def _changed(self, files: list[Path], known: dict[str, str], splitter: Splitter, report: IndexReport,
                 progress: Progress | None, pool: Executor | None, pages: PageProgress | None) -> Iterator[Changed]:
        """Changed files in input order, read lazily (ahead by a bounded window when reader processes run)."""
        cache = self.directory / OCR_CACHE_FILE
        jobs = ((path, source, known.get(source), splitter, self.loaders, cache, pages, self.settings.reader)
                for path in files
                for source in [display_source(path)])
        results = (read_file(*job) for job in jobs) if pool is None else _ordered(pool, jobs, 4 * self.settings.workers)
        for done, (source, kind, value) in enumerate(results, start=1):
            if kind == "unchanged":
                report.unchanged_files += 1
            elif kind == "skip":
                report.skipped.append((source, str(value)))
            else:
                digest, chunks, ocr = value
                report.ocr_pages += ocr.pages
                report.ocr_cached_pages += ocr.cached
                report.ocr_seconds += ocr.seconds
                yield source, digest, chunks
            if progress:
                progress("read", done, len(files))

    def _empty_store(self, store: AnnVectorStore, head_chunks: int, head_bytes: int,
                     total_bytes: int) -> AnnVectorStore:
        """A fresh store whose index type suits the corpus: its chunk count is estimated from the chunks per byte
        of the first group (exact when that group holds every file), so one huge file does not skew it."""
        factory = self.settings.factory
        if factory == "auto":
            estimate = head_chunks * max(total_bytes, 1) // max(head_bytes, 1)
            factory = auto_factory(estimate)
        return store if store.factory == factory else AnnVectorStore(self.embedder, factory, backend=store.backend)

    def _embed_and_add(self, store: AnnVectorStore, changed: Iterable[Changed], report: IndexReport,
                       progress: Progress | None) -> None:
        cache = EmbeddingCache(self.directory / CACHE_FILE)
        done = 0

        def tick(n: int) -> None:
            nonlocal done
            done += n
            if progress:
                progress("embed", done, report.new_chunks)

        try:
            # The first group trains an IVF/PQ index: it gets enough chunks for that, later ones batch_chunks.
            batch = self.settings.batch_chunks
            for group in _groups(changed, batch, max(batch, store.training_size())):
                chunks = [c for _, _, cs in group for c in cs]
                report.indexed_files += len(group)
                report.new_chunks += len(chunks)
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
    def _prune_missing(store: AnnVectorStore, paths: Iterable[str | Path], known: dict[str, str]) -> int:
        """Drop indexed sources that lived under a given directory and no longer exist."""
        roots = [display_source(Path(p)) for p in paths if Path(p).is_dir()]
        gone = [s for s in known if any(s.startswith(r.rstrip(os.sep) + os.sep) for r in roots)
                and not Path(s).exists()]
        for source in gone:
            store.delete_by_source(source)
        return len(gone)


def corpus_language(files: list[Path], sample: int = 32, loaders: LoaderRegistry = DEFAULT_LOADERS,
                    ocr_cache: Path | None = None, budget: ReaderBudget | None = ReaderBudget()) -> Language:
    """The language of a corpus from the text of up to `sample` of its files, spread over the list (each read
    within budget); scans are OCR'd for it (their first OCR_SAMPLE_PAGES pages, kept in ocr_cache for indexing)
    only when the other files have no text."""
    step = max(1, len(files) // sample)
    texts: list[str] = []
    for pages in (0, OCR_SAMPLE_PAGES):
        with ocr_context(ocr_cache, limit=pages):
            for path in files[::step][:sample]:
                try:
                    texts.extend(page.text[:20_000] for page in load_within(path, budget, loaders))
                except (SkipFile, OSError):
                    continue
        if texts:
            break
    return detect_language(texts)


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


@contextmanager
def _page_progress(progress: Progress | None, processes: bool) -> Iterator[PageProgress | None]:
    """A PageProgress that reports OCR'd pages of all files being read as progress('ocr', done, total); across
    reader processes it is a queue of a multiprocessing manager, drained by a thread here."""
    if progress is None:
        yield None
        return
    files: dict[str, tuple[int, int]] = {}

    def tally(file: str, done: int, total: int) -> None:
        files[file] = (done, total)
        progress("ocr", sum(d for d, _ in files.values()), sum(t for _, t in files.values()))

    if not processes:
        yield tally
        return
    with get_context("spawn").Manager() as manager:
        queue = manager.Queue()
        drain = threading.Thread(target=_drain, args=(queue, tally), daemon=True)
        drain.start()
        try:
            yield _QueuedPages(queue)
        finally:
            queue.put(None)
            drain.join()


class _QueuedPages:
    """A PageProgress a reader process can call: it puts the report on a manager's queue."""

    def __init__(self, queue: Any):
        self.queue = queue

    def __call__(self, file: str, done: int, total: int) -> None:
        self.queue.put((file, done, total))


def _drain(queue: Any, tally: PageProgress) -> None:
    for item in iter(queue.get, None):
        tally(*item)


def _ordered(pool: Executor, jobs: Iterable[tuple], window: int) -> Iterator[tuple[str, str, object]]:
    """read_file results in submission order, with at most `window` files in flight (bounded memory)."""
    in_flight: deque = deque()
    for job in jobs:
        in_flight.append(pool.submit(read_file, *job))
        if len(in_flight) >= window:
            yield in_flight.popleft().result()
    while in_flight:
        yield in_flight.popleft().result()


def _groups(pending: Iterable[Changed], size: int, first: int) -> Iterator[list[Changed]]:
    """Whole files per group, about `size` chunks each (`first` for the first), so a file's chunks go in together."""
    group: list[Changed] = []
    count = 0
    for item in pending:
        group.append(item)
        count += len(item[2])
        if count >= first:
            yield group
            group, count, first = [], 0, size
    if group:
        yield group
