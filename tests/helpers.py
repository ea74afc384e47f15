"""Paths shared by tests: the repo, the example knowledge base, and the benchmark data beside the repo."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EXAMPLES_KB = REPO / "examples" / "kb"


def shared_data() -> Path | None:
    """../shared/data beside the repo (or $RAGKIT_DATA), or None when absent."""
    path = Path(os.environ.get("RAGKIT_DATA", REPO.parent / "shared" / "data"))
    return path if path.is_dir() else None
