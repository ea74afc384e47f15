"""The ANN-index seam: what AnnVectorStore needs from a vector index, and the registry of backends by name.

A backend holds only int64 ids and unit vectors (text and metadata live in the docstore) and saves itself to one
file of the index generation. Register a new one with `register_ann_backend("name", MyIndex)`; the manifest records
the name and loading dispatches on it. `ragkit.store.testing.AnnIndexContract` is the test suite every backend runs.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar

import numpy as np

from ragkit.errors import InvalidInputError

DEFAULT_BACKEND = "faiss"


class AnnIndex(ABC):
    """Inner-product search over unit vectors under external int64 ids."""

    file_name: ClassVar[str]
    """Name of the backend's file inside an index generation."""

    factory: str
    """The backend's description of the index type (for FAISS, an index_factory string)."""

    tombstones: set[int]
    """Ids removed but still physically stored (searches exclude them); the store persists them. Empty for
    backends that delete in place."""

    @classmethod
    @abstractmethod
    def create(cls, dimension: int, factory: str) -> AnnIndex:
        """An empty index; types that need training train on their first add."""

    @classmethod
    @abstractmethod
    def load(cls, path: Path, factory: str, tombstones: set[int]) -> AnnIndex:
        """Read a file written by `save`; raise ValueError (or the library's own error) if it is not `factory`."""

    @abstractmethod
    def save(self, path: Path) -> None:
        """Write the index to one file, in the library's own format (never pickle)."""

    @property
    @abstractmethod
    def dimension(self) -> int:
        """Length of each vector."""

    @abstractmethod
    def __len__(self) -> int:
        """Number of live (not removed) vectors."""

    @abstractmethod
    def ids(self) -> np.ndarray:
        """Live ids (int64, any order): the store checks them against its docstore on load."""

    @abstractmethod
    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under ids that are not present."""

    @abstractmethod
    def remove(self, ids: list[int]) -> None:
        """Remove ids; unknown ids are ignored."""

    @abstractmethod
    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query, padded with id -1; `allowed` restricts the search to those ids and still
        returns k when k of them are live."""

    @abstractmethod
    def reconstruct(self, ids: list[int]) -> np.ndarray:
        """Stored vectors of ids, (len(ids), dimension) (approximate for lossy types)."""

    def training_size(self) -> int:
        """How many vectors the first add should bring so training has enough (0: no training needed)."""
        return 0


_BACKENDS: dict[str, type[AnnIndex]] = {}


def register_ann_backend(name: str, backend: type[AnnIndex]) -> None:
    """Make a backend loadable and creatable under a name (the name is recorded in manifests)."""
    if not (isinstance(backend, type) and issubclass(backend, AnnIndex)):
        raise TypeError(f"ANN backend {name!r} must be a subclass of ragkit.store.ann.AnnIndex")
    _BACKENDS[name] = backend


def ann_backend(name: str) -> type[AnnIndex]:
    """The backend registered under name."""
    try:
        return _BACKENDS[name]
    except KeyError:
        raise InvalidInputError(
            f"unknown ANN backend {name!r}; registered: {', '.join(sorted(_BACKENDS))}"
        ) from None


def ann_backends() -> list[str]:
    """Names of the registered backends."""
    return sorted(_BACKENDS)
