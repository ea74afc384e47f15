"""Where evaluation data lives: $RAGKIT_DATA, else ../shared/data beside the repository (never inside it)."""

from __future__ import annotations

import os
from pathlib import Path


def shared_data(name: str = "") -> Path | None:
    """The shared data directory (or its subdirectory `name`), or None when absent so callers can skip."""
    root = Path(os.environ.get("RAGKIT_DATA", Path(__file__).resolve().parents[2].parent / "shared" / "data"))
    path = root / name if name else root
    return path if path.is_dir() else None
