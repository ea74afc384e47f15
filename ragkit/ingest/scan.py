"""OCR of a file's page images, page by page: each page's text cached by the file's content hash (committed as it
is read, so a killed run resumes where it stopped), timed, and reported to a progress callback.

The cache and the callback are set for a block of loading with `ocr_context` (indexing sets them per index), so
loaders keep their `Path -> list[Page]` signature.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ragkit.digests import file_sha256
from ragkit.ingest.page import Page

if TYPE_CHECKING:
    import numpy as np

OCR_CACHE_FILE = "ocr.sqlite"
"""The OCR cache's file name inside an index directory."""
PageProgress = Callable[[str, int, int], None]
"""progress(file, pages done, pages to OCR) after each OCR'd page of a file."""


class OcrCache:
    """Text of OCR'd pages by (file sha256, page, OCR setup): re-reading an unchanged scan OCRs nothing."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=60)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS pages (file TEXT, page INTEGER, setup TEXT, text TEXT, "
                         "PRIMARY KEY (file, page, setup))")
        self._db.commit()

    def get(self, file: str, page: int, setup: str) -> str | None:
        row = self._db.execute("SELECT text FROM pages WHERE file = ? AND page = ? AND setup = ?",
                               (file, page, setup)).fetchone()
        return None if row is None else str(row[0])

    def put(self, file: str, page: int, setup: str, text: str) -> None:
        """Store one page's text and commit at once (the checkpoint of a long scan)."""
        self._db.execute("INSERT OR REPLACE INTO pages VALUES (?, ?, ?, ?)", (file, page, setup, text))
        self._db.commit()

    def close(self) -> None:
        self._db.close()


@dataclass(frozen=True)
class _Context:
    cache: OcrCache | None = None
    progress: PageProgress | None = None
    limit: int | None = None


_CONTEXT: ContextVar[_Context | None] = ContextVar("ragkit_ocr", default=None)


@contextmanager
def ocr_context(cache: str | Path | None = None, progress: PageProgress | None = None,
                limit: int | None = None) -> Iterator[None]:
    """Within the block, OCR'd pages are cached in the SQLite file `cache` and reported to progress; with a
    limit, only a file's first `limit` pages to OCR are read (a sample, e.g. to detect the corpus language)."""
    store = OcrCache(cache) if cache is not None else None
    token = _CONTEXT.set(_Context(store, progress, limit))
    try:
        yield
    finally:
        _CONTEXT.reset(token)
        if store is not None:
            store.close()


def current_ocr() -> tuple[str | None, PageProgress | None, int | None]:
    """(cache file, progress, page limit) of the ocr_context in force: what a reader process must set up again."""
    context = _CONTEXT.get() or _Context()
    return (None if context.cache is None else str(context.cache.path)), context.progress, context.limit


def ocr_pages(path: Path, pages: Iterable[tuple[int, str]], render: Callable[[int], np.ndarray],
              setup: str) -> Iterator[Page]:
    """A Page per (number, label) from the cache or by OCR of render(number), one page image in memory at a time;
    setup names the OCR models and rendering, so that changing them re-reads the pages."""
    from ragkit.ingest.ocr import recognize, setup_id

    context = _CONTEXT.get() or _Context()
    todo = list(pages)[: context.limit]
    digest = file_sha256(path) if context.cache is not None else ""
    setup = f"{setup_id()};{setup}"
    for done, (number, label) in enumerate(todo, start=1):
        cached = context.cache.get(digest, number, setup) if context.cache is not None else None
        if cached is not None:
            yield Page(cached, number, label, ocr="cached")
            continue
        started = time.perf_counter()
        text = recognize(render(number))
        seconds = time.perf_counter() - started
        if context.cache is not None:
            context.cache.put(digest, number, setup, text)
        if context.progress is not None:
            context.progress(str(path), done, len(todo))
        yield Page(text, number, label, ocr="ran", ocr_seconds=seconds)
