"""Where ragkit keeps indexes and caches, and how index names map to directories."""

from __future__ import annotations

import os
import re
from pathlib import Path

from ragkit.errors import InvalidInputError

_INDEX_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}")


def indexes_dir() -> Path:
    """The directory holding named indexes: $RAGKIT_INDEXES, else ./indexes."""
    return Path(os.environ.get("RAGKIT_INDEXES", "indexes")).resolve()


def cache_dir() -> Path:
    """The per-user cache (assembled GGUF files, converted models): $RAGKIT_CACHE or ~/.cache/ragkit."""
    path = Path(os.environ.get("RAGKIT_CACHE", Path.home() / ".cache" / "ragkit"))
    path.mkdir(parents=True, exist_ok=True)
    return path


def index_path(name: str) -> Path:
    """Map an index name to its directory, refusing names that would escape the indexes directory."""
    if not _INDEX_NAME.fullmatch(name) or ".." in name:
        raise InvalidInputError(
            f"invalid index name {name!r}: use letters, digits, '_', '-' and '.', with no path separators"
        )
    return indexes_dir() / name
