"""The knowledge bases the server serves (ragkit.KnowledgeBases under the indexes directory), with what a client
may choose for a new one and how sources are shown to clients."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ragkit import PACKAGED_EMBEDDERS, InvalidInputError, KnowledgeBase, KnowledgeBases

_HASHING = re.compile(r"^hashing(?::(\d{1,4}))?$")
HASHING_DIMENSIONS = (16, 1024)
"""Dimensions a client may give the model-free embedder (a 99,999-dimension index of a 0.5 MB upload took 729 MB)."""


class ServedKnowledgeBases(KnowledgeBases):
    """Knowledge bases under `root` answering with the server's model; clients create them with an embedder from
    an allow-list only."""

    def __init__(self, root: Path, llm: Any, embedder: str | None = None, offered: Iterable[str] = ()):
        super().__init__(root, llm, embedder)
        self.offered = {*PACKAGED_EMBEDDERS, *offered, *([embedder] if embedder else [])}
        """Embedder specs clients may choose (besides bounded 'hashing:DIM')."""

    def create(self, name: str, embedder: str | None = None) -> KnowledgeBase:
        """Build an empty knowledge base with an embedder clients may pick (`_embedder_spec`)."""
        return super().create(name, self._embedder_spec(embedder))

    def public_source(self, kb: KnowledgeBase, source: str) -> str:
        """How a source is shown: an uploaded file by its name inside the knowledge base, others as indexed."""
        return kb.shown_source(source)

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
