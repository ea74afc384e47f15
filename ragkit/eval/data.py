"""Where evaluation data lives: $RAGKIT_DATA, else ../shared/data beside the repository (never inside it)."""

from __future__ import annotations

import os
from pathlib import Path


def shared_data(name: str = "") -> Path | None:
    """The shared data directory (or its subdirectory `name`), or None when absent so callers can skip."""
    root = Path(os.environ.get("RAGKIT_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data"))
    path = root / name if name else root
    return path if path.is_dir() else None


def shared_data_or_say(name: str) -> Path | None:
    """shared_data(name), or None after printing why a benchmark skips (the data is never copied into the repo)."""
    path = shared_data(name)
    if path is None:
        print(f"skipped: {name} not found under ../shared/data or $RAGKIT_DATA")
    return path
