"""The contract every ANN backend passes, as a test base class (in the shape of Haystack's DocumentStore tests and
langchain-tests): subclass it in a test module as `class TestMine(AnnIndexContract)` with `backend` and `factory`.

Ids are deliberately not 0..n-1, and ids are never reused after removal (the store's rule).
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

import numpy as np

from ragkit.store.ann import AnnIndex


class AnnIndexContract:
    """add/search/remove/empty-then-refill/save-load/allowed-ids behaviour of one backend and index type."""

    backend: ClassVar[type[AnnIndex]]
    factory: ClassVar[str]
    exact_reconstruct: ClassVar[bool] = True
    """False for lossy types (PQ, SQ): reconstructed vectors are then only required to be close."""
    dimension: ClassVar[int] = 64
    size: ClassVar[int] = 400

    def vectors(self, n: int, seed: int) -> np.ndarray:
        vectors = np.random.default_rng(seed).standard_normal((n, self.dimension)).astype(np.float32)
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)

    def empty(self) -> AnnIndex:
        """A new index for `filled` (a backend whose training is slow may return copies of one trained on
        `vectors(size, seed=1)`)."""
        return self.backend.create(self.dimension, self.factory)

    def filled(self) -> tuple[AnnIndex, np.ndarray, np.ndarray]:
        """An index holding `size` random unit vectors under ids 3, 6, 9, ..."""
        index = self.empty()
        ids = np.arange(1, self.size + 1, dtype=np.int64) * 3
        vectors = self.vectors(self.size, seed=1)
        index.add(ids, vectors)
        return index, ids, vectors

    def top(self, index: AnnIndex, vectors: np.ndarray, k: int = 1, allowed: np.ndarray | None = None) -> np.ndarray:
        scores, ids = index.search(vectors, k, allowed)
        assert scores.shape == ids.shape and len(ids) == len(vectors)
        return ids

    def test_empty_index_finds_nothing(self) -> None:
        index = self.backend.create(self.dimension, self.factory)
        assert len(index) == 0 and index.dimension == self.dimension and len(index.ids()) == 0
        assert not (self.top(index, self.vectors(2, seed=5), k=3) >= 0).any()

    def test_every_vector_finds_itself(self) -> None:
        index, ids, vectors = self.filled()
        assert len(index) == self.size and index.training_size() == 0
        assert sorted(index.ids().tolist()) == ids.tolist()
        assert (self.top(index, vectors)[:, 0] == ids).all()

    def test_removed_ids_never_come_back(self) -> None:
        index, ids, vectors = self.filled()
        gone = ids[:50]
        index.remove([int(i) for i in gone] + [10**9])  # an unknown id is ignored
        assert len(index) == self.size - 50
        assert sorted(index.ids().tolist()) == ids[50:].tolist()
        assert not np.isin(self.top(index, vectors[:50], k=10), gone).any()
        assert (self.top(index, vectors[50:])[:, 0] == ids[50:]).all()

    def test_remove_everything_then_refill(self, tmp_path: Path) -> None:
        index, ids, vectors = self.filled()
        index.remove([int(i) for i in ids])
        assert len(index) == 0 and len(index.ids()) == 0
        assert not (self.top(index, vectors[:5], k=3) >= 0).any()
        new = self.vectors(1, seed=9)
        index.add(np.array([ids[-1] + 3]), new)
        assert len(index) == 1 and index.ids().tolist() == [ids[-1] + 3]
        assert self.top(index, new, k=3)[0].tolist()[0] == ids[-1] + 3
        index.save(tmp_path / self.backend.file_name)
        loaded = self.backend.load(tmp_path / self.backend.file_name, self.factory, set(index.tombstones))
        assert len(loaded) == 1 and self.top(loaded, new, k=3)[0].tolist()[0] == ids[-1] + 3

    def test_save_then_load_gives_the_same_results(self, tmp_path: Path) -> None:
        index, ids, _ = self.filled()
        index.remove([int(i) for i in ids[::5]])
        queries = self.vectors(20, seed=2)
        before = index.search(queries, 10)
        index.save(tmp_path / self.backend.file_name)
        loaded = self.backend.load(tmp_path / self.backend.file_name, self.factory, set(index.tombstones))
        assert loaded.factory == self.factory and loaded.dimension == self.dimension and len(loaded) == len(index)
        after = loaded.search(queries, 10)
        assert (before[1] == after[1]).all() and np.allclose(before[0], after[0], atol=1e-5)

    def test_allowed_ids_restrict_search_and_still_return_k(self) -> None:
        index, ids, vectors = self.filled()
        allowed = ids[::7]
        index.remove([int(allowed[0])])
        found = self.top(index, vectors[1:2], k=20, allowed=allowed)[0]
        assert len(found) == 20 and set(found.tolist()) <= set(allowed[1:].tolist())
        everything = self.top(index, vectors[1:2], k=len(allowed) + 10, allowed=allowed)[0]
        assert sorted(everything[everything >= 0].tolist()) == sorted(allowed[1:].tolist())

    def test_reconstruct_returns_the_stored_vectors(self) -> None:
        index, ids, vectors = self.filled()
        rebuilt = index.reconstruct([int(i) for i in ids[10:15]])
        assert rebuilt.shape == (5, self.dimension)
        if self.exact_reconstruct:
            assert np.allclose(rebuilt, vectors[10:15], atol=1e-5)
        else:
            assert (np.sum(rebuilt * vectors[10:15], axis=1) > 0.5).all()
