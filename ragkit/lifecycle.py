"""Knowledge bases under one directory, as the CLI, the app and the server manage them: list, create, delete, staged
uploads with undo (journaled: rolled back or forward after a crash), re-index; one writer at a time per knowledge
base (a thread lock in the process and the index's file lock across processes)."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from langchain_core.language_models import BaseChatModel

from ragkit.embeddings.e5 import MULTILINGUAL_MODEL
from ragkit.embeddings.sentence import DEFAULT_MODEL
from ragkit.errors import IndexNotFoundError, InvalidInputError, KnowledgeBaseExistsError
from ragkit.indexing import IndexReport, Progress
from ragkit.kb import KnowledgeBase
from ragkit.paths import index_path, indexes_dir
from ragkit.settings import IndexSettings
from ragkit.staging import Upload
from ragkit.store.persist import MANIFEST, write_lock

PACKAGED_EMBEDDERS = (DEFAULT_MODEL, MULTILINGUAL_MODEL)
"""Specs of the embedders ragkit ships (English MiniLM, multilingual e5)."""
Model = BaseChatModel | str | None
"""An answering model: a loaded one, a preset or GGUF path, or None for the knowledge bases' default."""


def list_knowledge_bases() -> list[str]:
    """Names of the built indexes under indexes/ (or $RAGKIT_INDEXES)."""
    return KnowledgeBases().names()


class KnowledgeBases:
    """Knowledge bases under `root` (default: indexes/ or $RAGKIT_INDEXES), answering with `llm`; new ones embed
    with `embedder` (a spec) unless told otherwise. Each is opened once per model and shared."""

    def __init__(self, root: Path | None = None, llm: Model = None, embedder: str | None = None):
        self.root = root or indexes_dir()
        self.llm = llm
        self.embedder = embedder
        self._open: dict[tuple[str, str], KnowledgeBase] = {}
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

    def get(self, name: str, llm: Model = None) -> KnowledgeBase:
        """The opened knowledge base (answering with `llm`, default the one given at construction);
        IndexNotFoundError if it is not built."""
        if not (self.directory(name) / MANIFEST).is_file():
            raise IndexNotFoundError(f"unknown knowledge base {name!r}")
        return self.opened(name, llm)

    def opened(self, name: str, llm: Model = None) -> KnowledgeBase:
        """The knowledge base of a name, built or not yet (the first upload builds it)."""
        llm = llm if llm is not None else self.llm
        key = (name, llm if isinstance(llm, str) else "" if llm is None else f"id:{id(llm)}")
        with self._lock:
            if key not in self._open:
                self._open[key] = KnowledgeBase(path=self.directory(name), llm=llm)
            return self._open[key]

    @contextmanager
    def writing(self, name: str) -> Iterator[None]:
        """Hold the knowledge base's writer lock: uploads, deletes and re-indexing never interleave, in this process
        (threads queue on a lock) or across processes (the index's file lock, reentrant within a thread)."""
        directory = self.directory(name)
        with self._lock:
            lock = self._writers.setdefault(name, threading.Lock())
        with lock, write_lock(directory):
            yield

    def create(self, name: str, embedder: str | None = None) -> KnowledgeBase:
        """Build an empty knowledge base; KnowledgeBaseExistsError if one exists under that name."""
        directory = self.directory(name)
        spec = embedder or self.embedder
        existed = directory.exists()
        with self.writing(name):
            if (directory / MANIFEST).is_file():
                raise KnowledgeBaseExistsError(f"knowledge base {name!r} exists already")
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
                for key in [key for key in self._open if key[0] == name]:
                    del self._open[key]
        shutil.rmtree(trash, ignore_errors=True)

    def sources(self, name: str) -> list[tuple[str, int]]:
        """(shown name, chunk count) of every indexed source."""
        return self.get(name).sources()

    def delete_source(self, name: str, source: str) -> int:
        """Delete a source's chunks and its uploaded file (KnowledgeBase.delete_source); returns how many chunks
        went. SourceNotFoundError for a source that is not indexed."""
        kb = self.get(name)
        with self.writing(name):
            return kb.delete_source(source)

    def stage(self, name: str) -> Upload:
        """A new upload to the knowledge base (built or not yet): add files to it as they arrive, then
        `index_upload` it, or `Upload.finish` to drop it."""
        return Upload(self.directory(name))

    def index_upload(self, name: str, upload: Upload, progress: Progress | None = None) -> IndexReport:
        """Move staged files into the knowledge base and index them (building it, language detected, if it is
        new); on failure the files folder is put back (the index is replaced atomically, so it is unchanged).
        Files that could not be read are removed again."""
        with self.writing(name):
            kb = self.opened(name)
            try:
                upload.commit(kb.manifest().generation if kb.exists else "")
                new = IndexSettings(embedder=self.embedder) if self.embedder and not kb.exists else IndexSettings()
                report = kb.index(upload.paths, new, progress)
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

    def index(self, name: str, paths: Iterable[str | Path], settings: IndexSettings | None = None,
              progress: Progress | None = None) -> IndexReport:
        """Index files and folders given by path into the knowledge base (KnowledgeBase.index), as its writer."""
        with self.writing(name):
            return self.opened(name).index(paths, settings, progress)

    def reindex(self, name: str, rebuild: bool = False, progress: Progress | None = None) -> IndexReport:
        """Index the knowledge base's files again (KnowledgeBase.reindex), as its writer."""
        kb = self.get(name)
        with self.writing(name):
            return kb.reindex(rebuild, progress)

    def recover(self) -> dict[str, tuple[bool, str]]:
        """Finish what a crash interrupted (run before serving): half-deleted knowledge bases are removed, and
        each upload a dead process left staged is rolled back (the index was not saved with it: the files folder
        is put back) or forward (it was: only files the index holds are kept). Returns {job id: (indexed, what
        happened)} for uploads that had a job."""
        if not self.root.is_dir():
            return {}
        for trash in self.root.glob(".deleted-*"):
            shutil.rmtree(trash, ignore_errors=True)
        outcomes = {}
        for directory in sorted(p for p in self.root.iterdir() if p.is_dir() and _plain(p.name)):
            for upload in Upload.pending(directory):
                with self.writing(directory.name):
                    outcome = self._recover(self.opened(directory.name), upload)
                if upload.journal.get("job"):
                    outcomes[str(upload.journal["job"])] = outcome
        return outcomes

    @staticmethod
    def _recover(kb: KnowledgeBase, upload: Upload) -> tuple[bool, str]:
        saved = kb.exists and (upload.state == "indexed" or (
            upload.state == "committing" and kb.manifest().generation != upload.journal.get("generation")))
        if not saved:
            upload.undo()
            upload.finish()
            return False, ("stopped before this upload was indexed; the knowledge base is as it was before it: "
                           "upload the files again")
        indexed = {kb.uploaded_name(source) for source in kb.store.docstore.sources()}
        for path in upload.paths:
            if path.name not in indexed:
                path.unlink(missing_ok=True)
        upload.finish()
        return True, "stopped after this upload was indexed; it was completed on restart"


def _plain(name: str) -> bool:
    """Whether a directory's name is a knowledge base name (others in the root are left alone)."""
    try:
        index_path(name)
    except InvalidInputError:
        return False
    return True
