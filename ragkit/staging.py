"""Uploaded files: names reduced to a safe file name, types and sizes checked, staged, then committed or undone.

A knowledge base's uploads live in `<index>/files/`. An upload is first written to a hidden staging folder there
(hidden entries are never indexed), with a journal; committing moves the files into place, keeping any file they
replace, so a failed indexing run, or a restart after a crash, can put everything back as it was.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import unicodedata
import uuid
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import psutil

from ragkit.errors import FileTooLargeError, InvalidInputError, UnsupportedFileTypeError
from ragkit.ingest import supported_suffixes
from ragkit.kb import FILES_DIR

_STAGING = ".upload-"
_JOURNAL = ".journal.json"


def safe_name(raw: str | None) -> str:
    """The file-name part of a client's file name (no folders, no control characters); refuses hidden or empty
    names. Names in any script are kept ('员工手册.md')."""
    name = PurePosixPath((raw or "").replace("\\", "/")).name
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C").strip()
    if not name or name.startswith(".") or len(name.encode()) > 255:
        raise InvalidInputError(f"invalid file name {raw!r}: give a plain file name that does not start with '.'")
    return name


def check_type(name: str) -> None:
    """UnsupportedFileTypeError unless a loader reads files of this suffix."""
    suffix = Path(name).suffix.lower()
    if suffix not in supported_suffixes():
        raise UnsupportedFileTypeError(
            f"unsupported file type {suffix or '(none)'} of {name!r}: upload {', '.join(supported_suffixes())}")


def free_name(name: str, taken: set[str]) -> str:
    """`name`, or 'stem (2).ext', 'stem (3).ext', ... : the first one not in `taken` (a second file of a name is
    kept beside the first, never over it)."""
    stem, suffix = Path(name).stem, Path(name).suffix
    candidate, n = name, 1
    while candidate in taken:
        n += 1
        candidate = f"{stem} ({n}){suffix}"
    return candidate


class Upload:
    """One upload's files, staged in the knowledge base's files folder until committed, with a journal there so that
    a crash at any point can be rolled back or forward on restart (`pending`)."""

    def __init__(self, index_dir: Path, staging: Path | None = None):
        self.files_dir = index_dir / FILES_DIR
        self.staging = staging or self.files_dir / f"{_STAGING}{uuid.uuid4().hex}"
        self._backup = self.staging / ".replaced"
        self.journal: dict[str, Any] = _read_json(self.staging / _JOURNAL) if staging else {}
        """pid (the writer), job, names, state ('staged', 'committing', 'indexed') and the index generation the
        commit was made on."""
        self.names: list[str] = list(self.journal.get("names", []))

    def add(self, name: str, data: BinaryIO, max_bytes: int, keep_both: bool = False) -> str:
        """Stage one file, copied in blocks, and return its name; FileTooLargeError (nothing kept) past max_bytes.
        A name this upload holds already is refused, or with `keep_both` (also for a name in the files folder)
        renamed 'name (2).ext' (`free_name`); without it, committing replaces the file of that name."""
        if keep_both:
            name = free_name(name, {*self.names, *(p.name for p in self.files_dir.glob("*"))})
        elif name in self.names:
            raise InvalidInputError(f"file {name!r} given twice in one upload")
        if not self.journal:
            self._note(pid=os.getpid())
        written = 0
        try:
            with (self.staging / name).open("wb") as out:
                while block := data.read(2**20):
                    written += len(block)
                    if written > max_bytes:
                        raise FileTooLargeError(f"{name!r} is larger than {max_bytes / 2**20:g} MB")
                    out.write(block)
        except BaseException:
            (self.staging / name).unlink(missing_ok=True)
            raise
        self.names.append(name)
        return name

    def remove(self, name: str) -> None:
        """Take a staged file out of the upload again (before `staged`)."""
        if name in self.names:
            self.names.remove(name)
            (self.staging / name).unlink(missing_ok=True)

    def size(self) -> int:
        """Bytes staged."""
        return sum((self.staging / name).stat().st_size for name in self.names)

    @property
    def paths(self) -> list[Path]:
        """Where the files are once committed."""
        return [self.files_dir / name for name in self.names]

    @property
    def state(self) -> str:
        """'' (still arriving), 'staged' (a job will index it), 'committing' (files moving in, index being
        written) or 'indexed' (the index holds it; only the clean-up is left)."""
        return str(self.journal.get("state", ""))

    @property
    def writer_alive(self) -> bool:
        """Whether another live process is still writing this upload (a restart must leave it alone)."""
        pid = self.journal.get("pid")
        if not isinstance(pid, int) or pid <= 0 or pid == os.getpid():
            return False
        try:
            return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
        except psutil.Error:
            return False

    def staged(self, job_id: str) -> None:
        """Record that every file arrived and which job indexes them."""
        self._note(job=job_id, names=self.names, state="staged")

    def commit(self, generation: str = "") -> None:
        """Move the staged files into place, keeping the files they replace until `finish`; the journal says so
        first, with the index `generation` the upload is indexed on (a crash is rolled back while it is current)."""
        self._note(names=self.names, state="committing", generation=generation)
        self._backup.mkdir(parents=True, exist_ok=True)
        for name in self.names:
            target = self.files_dir / name
            if target.exists():
                target.replace(self._backup / name)
            (self.staging / name).replace(target)

    def indexed(self) -> None:
        """Record that the index holds the upload: a crash from here on is rolled forward."""
        self._note(state="indexed")

    def undo(self) -> None:
        """Put the files folder back as it was before `commit` (nothing to do before it). Works from what is on
        disk, so it also undoes a commit a crash cut short: a file still staged was never moved in."""
        if self.state not in ("committing", "indexed"):
            return
        for name in self.names:
            if not (self.staging / name).exists():
                (self.files_dir / name).unlink(missing_ok=True)
            if (self._backup / name).exists():
                (self._backup / name).replace(self.files_dir / name)

    def finish(self) -> None:
        """Drop the staging folder (and the replaced files it kept)."""
        shutil.rmtree(self.staging, ignore_errors=True)

    @classmethod
    def pending(cls, index_dir: Path) -> list[Upload]:
        """Uploads left behind in a knowledge base by a process that is gone, with their journals."""
        files = index_dir / FILES_DIR
        found = [cls(index_dir, p) for p in sorted(files.glob(_STAGING + "*")) if p.is_dir()] if files.is_dir() else []
        return [upload for upload in found if not upload.writer_alive]

    def _note(self, **fields: Any) -> None:
        """Update the journal atomically (and durably: it decides what a restart does)."""
        self.journal.update(fields)
        self.staging.mkdir(parents=True, exist_ok=True)
        write_json(self.staging / _JOURNAL, self.journal)


def write_json(path: Path, data: Any) -> None:
    """Replace a JSON file atomically, synced to disk."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(data, out, ensure_ascii=False)
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, path)


def _read_json(path: Path) -> dict[str, Any]:
    """A JSON object from a file; empty when it is missing or damaged (a crash while it was first written)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}
