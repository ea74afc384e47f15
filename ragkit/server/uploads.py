"""Uploaded files: names reduced to a safe file name, types and sizes checked, staged, then committed or undone.

A knowledge base's uploads live in `<index>/files/`. An upload is first written to a hidden staging folder there
(hidden entries are never indexed); committing moves the files into place, keeping any file they replace, so a
failed indexing run can put everything back as it was.
"""

from __future__ import annotations

import shutil
import unicodedata
import uuid
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from ragkit.errors import InvalidInputError
from ragkit.ingest import supported_suffixes
from ragkit.kb import FILES_DIR
from ragkit.server.errors import PayloadTooLargeError, UnsupportedTypeError

_STAGING = ".upload-"


def safe_name(raw: str | None) -> str:
    """The file-name part of a client's file name (no folders, no control characters); refuses hidden or empty
    names. Names in any script are kept ('员工手册.md')."""
    name = PurePosixPath((raw or "").replace("\\", "/")).name
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C").strip()
    if not name or name.startswith(".") or len(name.encode()) > 255:
        raise InvalidInputError(f"invalid file name {raw!r}: give a plain file name that does not start with '.'")
    return name


def check_type(name: str) -> None:
    """UnsupportedTypeError unless a loader reads files of this suffix."""
    suffix = Path(name).suffix.lower()
    if suffix not in supported_suffixes():
        raise UnsupportedTypeError(
            f"unsupported file type {suffix or '(none)'} of {name!r}: upload {', '.join(supported_suffixes())}")


class Upload:
    """One upload's files, staged in the knowledge base's files folder until committed."""

    def __init__(self, index_dir: Path):
        self.files_dir = index_dir / FILES_DIR
        self.staging = self.files_dir / f"{_STAGING}{uuid.uuid4().hex}"
        self._backup = self.staging / ".replaced"
        self.names: list[str] = []
        self._replaced: list[str] = []
        self._committed = False

    def add(self, name: str, data: BinaryIO, max_bytes: int) -> None:
        """Stage one file, copied in blocks; PayloadTooLargeError (nothing kept) past max_bytes."""
        if name in self.names:
            raise InvalidInputError(f"file {name!r} given twice in one upload")
        self.staging.mkdir(parents=True, exist_ok=True)
        written = 0
        with (self.staging / name).open("wb") as out:
            while block := data.read(2**20):
                written += len(block)
                if written > max_bytes:
                    raise PayloadTooLargeError(f"{name!r} is larger than {max_bytes / 2**20:g} MB")
                out.write(block)
        self.names.append(name)

    @property
    def paths(self) -> list[Path]:
        """Where the files are once committed."""
        return [self.files_dir / name for name in self.names]

    def commit(self) -> None:
        """Move the staged files into place, keeping the files they replace until `finish`."""
        self._committed = True
        self._backup.mkdir(parents=True, exist_ok=True)
        for name in self.names:
            target = self.files_dir / name
            if target.exists():
                target.replace(self._backup / name)
                self._replaced.append(name)
            (self.staging / name).replace(target)

    def undo(self) -> None:
        """Put the files folder back as it was before `commit` (nothing to do before it)."""
        if not self._committed:
            return
        for name in self.names:
            (self.files_dir / name).unlink(missing_ok=True)
        for name in self._replaced:
            (self._backup / name).replace(self.files_dir / name)

    def finish(self) -> None:
        """Drop the staging folder (and the replaced files it kept)."""
        shutil.rmtree(self.staging, ignore_errors=True)
