"""A toy ANN backend (numpy brute force) plugged in through the public seam: it passes the contract, and a
AnnVectorStore indexes, searches, saves and loads with it; the manifest names the backend."""

import json
from pathlib import Path

import numpy as np
import pytest

from ragkit.embeddings import HashingEmbeddings
from ragkit.errors import IndexFormatError, InvalidInputError
from ragkit.store import AnnVectorStore
from ragkit.store.ann import AnnIndex, ann_backends, register_ann_backend
from ragkit.store.persist import MANIFEST, read_manifest
from ragkit.store.testing import AnnIndexContract

pytestmark = pytest.mark.unit


class NumpyIndex(AnnIndex):
    """Exact search over an (n, d) array; deletes in place, so it never keeps tombstones."""

    file_name = "vectors.npz"

    def __init__(self, ids: np.ndarray, vectors: np.ndarray, factory: str):
        self._ids, self._vectors, self.factory, self.tombstones = ids, vectors, factory, set()

    @classmethod
    def create(cls, dimension: int, factory: str) -> "NumpyIndex":
        return cls(np.zeros(0, np.int64), np.zeros((0, dimension), np.float32), factory)

    @classmethod
    def load(cls, path: Path, factory: str, tombstones: set[int]) -> "NumpyIndex":
        with np.load(path, allow_pickle=False) as saved:
            return cls(saved["ids"], saved["vectors"], factory)

    def save(self, path: Path) -> None:
        with path.open("wb") as handle:
            np.savez(handle, ids=self._ids, vectors=self._vectors)

    @property
    def dimension(self) -> int:
        return self._vectors.shape[1]

    def __len__(self) -> int:
        return len(self._ids)

    def ids(self) -> np.ndarray:
        return self._ids.copy()

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        self._ids = np.concatenate([self._ids, np.asarray(ids, np.int64)])
        self._vectors = np.vstack([self._vectors, np.asarray(vectors, np.float32)])

    def remove(self, ids: list[int]) -> None:
        keep = ~np.isin(self._ids, ids)
        self._ids, self._vectors = self._ids[keep], self._vectors[keep]

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        scores = np.asarray(queries, np.float32) @ self._vectors.T
        if allowed is not None:
            scores[:, ~np.isin(self._ids, allowed)] = -np.inf
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        top = np.take_along_axis(scores, order, axis=1)
        ids = np.where(np.isfinite(top), self._ids[order], -1)
        pad = k - ids.shape[1]
        return np.pad(top, ((0, 0), (0, pad))), np.pad(ids, ((0, 0), (0, pad)), constant_values=-1)

    def reconstruct(self, ids: list[int]) -> np.ndarray:
        position = {int(i): n for n, i in enumerate(self._ids)}
        return self._vectors[[position[int(i)] for i in ids]].reshape(len(ids), self.dimension)


register_ann_backend("numpy-exact", NumpyIndex)


class TestNumpyIndexContract(AnnIndexContract):
    backend = NumpyIndex
    factory = "exact"


TEXTS = ["the cat sat on the mat", "dogs chase cats", "stock markets fell today", "股市今天下跌", "猫坐在垫子上"]


def test_store_indexes_searches_saves_and_loads_with_a_registered_backend(tmp_path: Path) -> None:
    embedder = HashingEmbeddings(64)
    store = AnnVectorStore(embedder, "exact", backend="numpy-exact")
    store.add_texts(TEXTS, [{"source": f"s{i}.txt"} for i in range(len(TEXTS))], ids=[f"t{i}" for i in range(5)])
    store.delete(["t1"])
    assert isinstance(store.index, NumpyIndex)
    before = [(d.id, round(s, 5)) for d, s in store.similarity_search_with_score("股市今天下跌了", k=3)]
    assert before[0][0] == "t3" and "t1" not in dict(before)
    store.save(tmp_path / "idx")
    assert read_manifest(tmp_path / "idx").backend == "numpy-exact"
    assert (tmp_path / "idx" / read_manifest(tmp_path / "idx").generation / "vectors.npz").is_file()
    loaded = AnnVectorStore.load(tmp_path / "idx", embedder)
    assert loaded.backend == "numpy-exact" and isinstance(loaded.index, NumpyIndex)
    assert [(d.id, round(s, 5)) for d, s in loaded.similarity_search_with_score("股市今天下跌了", k=3)] == before
    assert loaded.similarity_search("cat on a mat", k=1, filter={"source": "s4.txt"})[0].id == "t4"


def test_unknown_backends_are_refused_when_created_and_when_loaded(tmp_path: Path) -> None:
    assert {"faiss", "numpy-exact"} <= set(ann_backends())
    with pytest.raises(InvalidInputError, match="unknown ANN backend 'annoy'; registered: faiss"):
        AnnVectorStore(HashingEmbeddings(64), backend="annoy")
    with pytest.raises(TypeError, match="subclass of ragkit.store.ann.AnnIndex"):
        register_ann_backend("bad", dict)  # type: ignore[arg-type]
    store = AnnVectorStore.from_texts(TEXTS, HashingEmbeddings(64))
    store.save(tmp_path / "idx")
    manifest = tmp_path / "idx" / MANIFEST
    manifest.write_text(json.dumps({**json.loads(manifest.read_text()), "backend": "annoy"}))
    with pytest.raises(IndexFormatError, match="ANN backend 'annoy', which is not registered"):
        AnnVectorStore.load(tmp_path / "idx", HashingEmbeddings(64))
