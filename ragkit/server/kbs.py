"""The knowledge bases the server serves: every index under one directory, each opened once and shared by requests,
with one writer (upload, delete, re-index) at a time per knowledge base."""

from __future__ import annotations

import re
import shutil
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from ragkit.config import index_path
from ragkit.embeddings.e5 import MULTILINGUAL_MODEL
from ragkit.embeddings.sentence import DEFAULT_MODEL
from ragkit.errors import IndexNotFoundError, InvalidInputError, SourceNotFoundError
from ragkit.indexing import IndexReport, Progress
from ragkit.kb import KnowledgeBase
from ragkit.server.errors import ConflictError, NotFoundError
from ragkit.server.uploads import Upload
from ragkit.settings import IndexSettings
from ragkit.store.persist import MANIFEST

_HASHING = re.compile(r"^hashing(?::(\d{1,4}))?$")
HASHING_DIMENSIONS = (16, 1024)
"""Dimensions a client may give the model-free embedder (a 99,999-dimension index of a 0.5 MB upload took 729 MB)."""


class KnowledgeBases:
    """Knowledge bases under `root`, answering with `llm`; new ones embed with `embedder` unless told otherwise."""

    def __init__(self, root: Path, llm: BaseChatModel, embedder: str | None = None, offered: Iterable[str] = ()):
        self.root = root
        self.llm = llm
        self.embedder = embedder
        self.offered = {DEFAULT_MODEL, MULTILINGUAL_MODEL, *offered, *([embedder] if embedder else [])}
        """Embedder specs clients may choose (besides bounded 'hashing:DIM')."""
        self._open: dict[str, KnowledgeBase] = {}
        self._writers: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        """Names of the built knowledge bases."""
        if not self.root.is_dir():
            return []
        return sorted(p.name for p in self.root.iterdir() if not p.name.startswith(".") and (p / MANIFEST).is_file())

    def directory(self, name: str) -> Path:
        """The directory of a knowledge base name (InvalidInputError for names that are not plain)."""
        return self.root / index_path(name).name

    def get(self, name: str) -> KnowledgeBase:
        """The opened knowledge base; IndexNotFoundError if it is not built."""
        directory = self.directory(name)
        if not (directory / MANIFEST).is_file():
            raise IndexNotFoundError(f"unknown knowledge base {name!r}")
        with self._lock:
            if name not in self._open:
                self._open[name] = KnowledgeBase(path=directory, llm=self.llm)
            return self._open[name]

    @contextmanager
    def writing(self, name: str) -> Iterator[None]:
        """Hold the knowledge base's writer lock (uploads, deletes and re-indexing never interleave)."""
        with self._lock:
            lock = self._writers.setdefault(name, threading.Lock())
        with lock:
            yield

    def create(self, name: str, embedder: str | None = None) -> KnowledgeBase:
        """Build an empty knowledge base; ConflictError if one exists under that name."""
        directory = self.directory(name)
        spec = self._embedder_spec(embedder)
        with self.writing(name):
            if (directory / MANIFEST).is_file():
                raise ConflictError(f"knowledge base {name!r} exists already")
            existed = directory.exists()
            try:
                KnowledgeBase(path=directory, embedder=spec).index([], IndexSettings(embedder=spec))
            except BaseException:
                if not existed:
                    shutil.rmtree(directory, ignore_errors=True)
                raise
        return self.get(name)

    def delete(self, name: str) -> None:
        """Remove a knowledge base and its uploaded files (renamed away first, so no half-deleted index is seen)."""
        self.get(name)
        with self.writing(name):
            trash = self.root / f".deleted-{name}-{uuid.uuid4().hex[:8]}"
            self.directory(name).rename(trash)
            with self._lock:
                self._open.pop(name, None)
            shutil.rmtree(trash, ignore_errors=True)

    def public_source(self, kb: KnowledgeBase, source: str) -> str:
        """How a source is shown: an uploaded file by its name inside the knowledge base, others as indexed."""
        return kb.shown_source(source)

    def sources(self, name: str) -> list[tuple[str, int]]:
        """(shown name, chunk count) of every indexed source."""
        return self.get(name).sources()

    def delete_source(self, name: str, source: str) -> int:
        """Delete a source's chunks and its uploaded file (KnowledgeBase.delete_source); returns how many chunks
        went. NotFoundError for a source that is not indexed."""
        kb = self.get(name)
        with self.writing(name):
            try:
                return kb.delete_source(source)
            except SourceNotFoundError as exc:
                raise NotFoundError(str(exc)) from None

    def index_upload(self, name: str, upload: Upload, progress: Progress | None = None) -> IndexReport:
        """Move staged files into the knowledge base and index them; on failure the files folder is put back (the
        index is replaced atomically, so it is unchanged). Files that could not be read are removed again."""
        with self.writing(name):
            try:
                kb = self.get(name)
                upload.commit(kb.manifest().generation)
                report = kb.index(upload.paths, IndexSettings(), progress)
                upload.indexed()
            except BaseException:
                upload.undo()
                raise
            finally:
                upload.finish()
            for source, _ in report.skipped:
                if kb.uploaded_name(source) is not None:
                    Path(source).unlink(missing_ok=True)
        return report

    def recover(self) -> dict[str, tuple[bool, str]]:
        """Finish what a crash interrupted (run before serving): half-deleted knowledge bases are removed, and
        each upload left staged is rolled back (the index was not saved with it: the files folder is put back) or
        forward (it was: only files the index holds are kept). Returns {job id: (indexed, what happened)}."""
        for trash in self.root.glob(".deleted-*") if self.root.is_dir() else []:
            shutil.rmtree(trash, ignore_errors=True)
        outcomes = {}
        for name in self.names():
            for upload in Upload.pending(self.directory(name)):
                with self.writing(name):
                    outcome = self._recover(self.get(name), upload)
                if upload.journal.get("job"):
                    outcomes[str(upload.journal["job"])] = outcome
        return outcomes

    @staticmethod
    def _recover(kb: KnowledgeBase, upload: Upload) -> tuple[bool, str]:
        saved = upload.state == "indexed" or (
            upload.state == "committing" and kb.manifest().generation != upload.journal.get("generation"))
        if not saved:
            upload.undo()
            upload.finish()
            return False, ("the server stopped before this upload was indexed; the knowledge base is as it was "
                           "before it: upload the files again")
        indexed = {kb.uploaded_name(source) for source in kb.store.docstore.sources()}
        for path in upload.paths:
            if path.name not in indexed:
                path.unlink(missing_ok=True)
        upload.finish()
        return True, "the server stopped after this upload was indexed; it was completed on restart"

    def reindex(self, name: str, rebuild: bool = False, progress: Progress | None = None) -> IndexReport:
        """Index the knowledge base's files again (KnowledgeBase.reindex), one writer at a time."""
        with self.writing(name):
            return self.get(name).reindex(rebuild, progress)

    def stored_sources(self, kb: KnowledgeBase, shown: Any) -> list[Any]:
        """The stored form of sources named as shown (a value or a list); unknown ones are kept as given."""
        return [kb.stored_source(str(s)) or s for s in (shown if isinstance(shown, list) else [shown])]

    def _embedder_spec(self, embedder: str | None) -> str | None:
        """The embedder spec for a new knowledge base; clients may pick only the packaged, the model-free (of a
        bounded dimension) or the operator's configured ones, never a path on the server."""
        if embedder is None or embedder in self.offered:
            return embedder or self.embedder
        hashing = _HASHING.match(embedder)
        low, high = HASHING_DIMENSIONS
        if hashing and (hashing.group(1) is None or low <= int(hashing.group(1)) <= high):
            return embedder
        raise InvalidInputError(f"embedder {embedder[:100]!r} is not offered: use one of "
                                f"{', '.join(map(repr, sorted(self.offered)))} or 'hashing[:DIM]' with DIM from "
                                f"{low} to {high}")
