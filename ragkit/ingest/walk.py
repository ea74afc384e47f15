"""Which files a set of paths stands for: directories walked iteratively (any depth), hidden entries left out,
symlinks out of the given folders and undecodable names skipped with a reason."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ragkit.errors import InvalidInputError

OUTSIDE_LINK = "symlink to a path outside the indexed folders"
BAD_NAME = "file name is not valid UTF-8: rename it"


@dataclass(frozen=True)
class Walk:
    """What walk found: the files to load, and the entries passed over with the reason."""

    files: list[Path] = field(default_factory=list)
    """Files in order: each given path in turn, directories depth first with entries sorted by name."""
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    """(path, reason) for each entry not loaded: a link out of the roots, an undecodable name, an unreadable folder."""


def walk(paths: Iterable[str | Path], *, allow_external_links: bool = False) -> Walk:
    """Files under the given files and directories; a missing path raises before anything is walked.

    A symlink whose target lies outside every given path is skipped unless allow_external_links (then its target
    counts as given); a symlinked folder whose target is inside is not followed: its files are found under their
    own path, and link cycles end."""
    given = [Path(p) for p in paths]
    for path in given:
        if not path.exists() and not path.is_symlink():
            raise InvalidInputError(f"path does not exist: {safe_name(path)}")
    found = Walk()
    roots = [Path(os.path.realpath(p)) for p in given]
    for path in given:
        for entry, reason in _entries(path, roots, allow_external_links):
            if reason is None:
                found.files.append(entry)
            else:
                found.skipped.append((entry, reason))
    return found


def iter_files(paths: Iterable[str | Path], *, allow_external_links: bool = False) -> Iterator[Path]:
    """The files of walk(paths), without the skipped entries."""
    yield from walk(paths, allow_external_links=allow_external_links).files


def safe_name(path: str | os.PathLike[str]) -> str:
    """A path as text that can be stored, logged and printed: undecodable bytes and control characters escaped."""
    text = os.fsencode(path).decode("utf-8", "backslashreplace")
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def _entries(top: Path, roots: list[Path], allow_external: bool) -> Iterator[tuple[Path, str | None]]:
    """(path, None) per file under top and (path, reason) per skipped entry, depth first without recursion."""
    stack = [top]
    while stack:
        path = stack.pop()
        if not _decodable(path):
            yield path, BAD_NAME
            continue
        try:
            mode = path.lstat().st_mode
        except OSError as exc:
            yield path, f"unreadable: {exc.strerror or exc}"
            continue
        descend = stat.S_ISDIR(mode)
        if stat.S_ISLNK(mode):
            target = Path(os.path.realpath(path))
            inside = any(target.is_relative_to(root) for root in roots)
            if not inside and not allow_external:
                yield path, OUTSIDE_LINK
                continue
            if not target.is_dir():
                yield path, None  # a link to a file, or a dangling one that load_file reports as unreadable
                continue
            descend = path == top or not inside
            if descend:
                roots.append(target)  # links into it are then inside: no cycles, no second visit
        if descend:
            try:
                stack.extend(_children(path))
            except OSError as exc:
                yield path, f"unreadable folder: {exc.strerror or exc}"
        elif stat.S_ISREG(mode):
            yield path, None
        elif path == top:
            yield path, "not a regular file"


def _children(folder: Path) -> list[Path]:
    """Visible entries of a folder in reverse name order, ready to be popped from a stack in name order."""
    with os.scandir(folder) as entries:
        names = sorted((entry.name for entry in entries if not entry.name.startswith(".")), reverse=True)
    return [folder / name for name in names]


def _decodable(path: Path) -> bool:
    """Whether path's text has no undecodable bytes (they would fail on storing the source as UTF-8)."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True
