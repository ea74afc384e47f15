"""A small FAISS wrapper holding only int64 ids and unit vectors: build from a factory string, add, remove, search.

Deletion is correct on every index type: types that support remove_ids remove in place (IVF keeps its own ids,
Flat is wrapped in an IDMap2); types that cannot (HNSW) keep tombstones that searches exclude through an
IDSelector until the next rebuild.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import cast

import faiss
import numpy as np

from ragkit.store.ann import AnnIndex, register_ann_backend

log = logging.getLogger(__name__)

_SEARCH_SLACK = 4
_EXACT_FALLBACK = 100_000
_GPU_MAX_K = 2048  # faiss-gpu's limit on k and nprobe; larger searches run on the CPU
_TRAIN_PER_LIST = 64  # training points per IVF list (FAISS wants at least 39)
_MIN_TRAIN = 10_000  # PQ codebooks need 256 points per centroid and some spare
# Defaults that reach recall@10 >= 0.95 vs exact on MiniLM-like vectors (benchmarks/search.py); FAISS's own
# (nprobe 1, efSearch 16) stay far below. Both are saved with the index.
_MIN_NPROBE = 8
_DEFAULT_EF_SEARCH = 64


def gpu_count() -> int:
    """Number of CUDA devices faiss can use (0 with faiss-cpu)."""
    return faiss.get_num_gpus() if hasattr(faiss, "get_num_gpus") else 0


def auto_factory(n_vectors: int) -> str:
    """A FAISS factory string suited to a corpus size: exact below 50k, then IVF with ~4*sqrt(n) lists holding
    full vectors (to 1M), 8-bit scalar-quantized ones (to 8M: 384 B per MiniLM vector), PQ codes beyond.

    Measured at 1M vectors (benchmarks/search.py): IVF-SQ8 keeps recall@10 0.96 at a quarter of IVF-Flat's memory,
    where IVF-PQ48 falls to 0.43; PQ is left for corpora whose SQ8 codes would not fit in memory.
    """
    if n_vectors < 50_000:
        return "Flat"
    lists = f"IVF{int(4 * np.sqrt(n_vectors)) // 64 * 64}"
    if n_vectors < 1_000_000:
        return f"{lists},Flat"
    return f"{lists},SQ8" if n_vectors < 8_000_000 else f"{lists},PQ48"


class FaissIndex(AnnIndex):
    """Inner-product FAISS index over unit vectors with external int64 ids."""

    file_name = "index.faiss"

    def __init__(self, index: faiss.Index, factory: str, tombstones: set[int] | None = None):
        self.index = index
        self.factory = factory
        self.tombstones = set(tombstones) if tombstones is not None else set()
        self._gpu: faiss.Index | None = None

    @classmethod
    def create(cls, dimension: int, factory: str = "Flat") -> FaissIndex:
        """An empty index; IVF and PQ types must be trained before the first add."""
        base = faiss.index_factory(dimension, factory, faiss.METRIC_INNER_PRODUCT)
        ivf = faiss.try_extract_index_ivf(base)
        if ivf is not None:
            ivf.nprobe = min(ivf.nlist, max(_MIN_NPROBE, ivf.nlist // 32))
        else:
            base = faiss.IndexIDMap2(base)
        index = cls(base, factory)
        index.set_search_params(ef_search=_DEFAULT_EF_SEARCH)
        return index

    @property
    def dimension(self) -> int:
        return int(self.index.d)

    @property
    def is_trained(self) -> bool:
        return bool(self.index.is_trained)

    def __len__(self) -> int:
        return int(self.index.ntotal) - len(self.tombstones)

    def ids(self) -> np.ndarray:
        """Live ids (tombstones excluded)."""
        stored = self._stored_ids()
        if not self.tombstones:
            return stored
        return stored[~np.isin(stored, np.fromiter(self.tombstones, np.int64, len(self.tombstones)))]

    def _stored_ids(self) -> np.ndarray:
        """Every id in the FAISS index: the id map of Flat/HNSW/PQ types, the inverted lists' ids of IVF types."""
        ivf = faiss.try_extract_index_ivf(self.index)
        if ivf is None:
            id_map = self.index.id_map  # type: ignore[attr-defined]  # IndexIDMap's; the stubs type the base Index
            return faiss.vector_to_array(id_map).astype(np.int64)
        lists = cast(faiss.InvertedLists, ivf.invlists)  # stubs say Optional; an IVF index always holds its lists
        return np.concatenate([np.zeros(0, np.int64)] + [
            faiss.rev_swig_ptr(lists.get_ids(i), lists.list_size(i)).astype(np.int64)
            for i in range(lists.nlist) if lists.list_size(i)
        ])

    def training_size(self) -> int:
        """How many vectors training wants (0 once trained): callers batch at least this many into the first add."""
        if self.index.is_trained:
            return 0
        ivf = faiss.try_extract_index_ivf(self.index)
        return max(_MIN_TRAIN, _TRAIN_PER_LIST * (ivf.nlist if ivf is not None else 0))

    def train(self, vectors: np.ndarray, seed: int = 0) -> None:
        """Train IVF/PQ quantizers on a random sample of vectors (about 64 per IVF list), not all of them."""
        if self.index.is_trained:
            return
        ivf = faiss.try_extract_index_ivf(self.index)
        size = self.training_size()
        if len(vectors) > size:
            vectors = vectors[np.sort(np.random.default_rng(seed).choice(len(vectors), size, replace=False))]
        elif ivf is not None and len(vectors) < 39 * ivf.nlist:
            log.warning("training %s on %d vectors: fewer than 39 per list, recall may suffer", self.factory,
                        len(vectors))
        self.index.train(np.ascontiguousarray(vectors, dtype=np.float32))

    def add(self, ids: np.ndarray, vectors: np.ndarray) -> None:
        """Add vectors under the given ids (ids must not be present)."""
        if len(ids) == 0:
            return
        if not self.index.is_trained:
            self.train(vectors)
        self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), np.asarray(ids, dtype=np.int64))
        self._gpu = None

    def remove(self, ids: list[int]) -> None:
        """Remove ids, in place where the index type allows it, else as tombstones."""
        if not ids:
            return
        try:
            self.index.remove_ids(faiss.IDSelectorBatch(np.asarray(ids, dtype=np.int64)))
        except RuntimeError:  # only ids the index holds become tombstones, so len() stays exact
            self.tombstones.update(int(i) for i in np.intersect1d(np.asarray(ids, np.int64), self._stored_ids()))
        self._gpu = None

    def set_search_params(self, nprobe: int | None = None, ef_search: int | None = None) -> None:
        """Speed/recall knobs of approximate indexes; ignored where they do not apply."""
        ivf = faiss.try_extract_index_ivf(self.index)
        if nprobe is not None and ivf is not None:
            ivf.nprobe = nprobe
            self._gpu = None  # the GPU copy holds its own nprobe
        if ef_search is not None:
            hnsw = _find_hnsw(self.index)
            if hnsw is not None:
                hnsw.hnsw.efSearch = ef_search

    def search_params(self) -> dict[str, int]:
        """Current nprobe (IVF types) and efSearch (HNSW types)."""
        params = {}
        ivf = faiss.try_extract_index_ivf(self.index)
        if ivf is not None:
            params["nprobe"] = int(ivf.nprobe)
        hnsw = _find_hnsw(self.index)
        if hnsw is not None:
            params["ef_search"] = int(hnsw.hnsw.efSearch)
        return params

    def search(self, queries: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, ids) per query; `allowed` restricts the search to those ids (filtering inside the search)."""
        queries = np.ascontiguousarray(queries, dtype=np.float32)
        if self.index.ntotal == 0 or k <= 0:
            return np.zeros((len(queries), 0), np.float32), np.zeros((len(queries), 0), np.int64)
        selector = self._selector(allowed)
        if selector is None:
            scores, ids = self._searcher(k).search(queries, k)
        else:
            params = _params_for(self.index, selector, exhaustive=allowed is not None)
            try:
                scores, ids = self.index.search(queries, k, params=params)
            except RuntimeError:  # a type whose search takes no selector (plain PQ): search the allowed ids exactly
                if allowed is None:
                    raise
                return self._exact(queries, k, np.asarray(allowed, dtype=np.int64))
            if allowed is not None and len(allowed) <= _EXACT_FALLBACK and (ids < 0).sum(axis=1).max() > max(0, k - len(allowed)):
                scores, ids = self._exact(queries, k, np.asarray(allowed, dtype=np.int64))
        return scores, ids

    def _exact(self, queries: np.ndarray, k: int, allowed: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Brute-force search over the allowed ids, for graph indexes whose filtered search found too few and types
        whose search takes no selector; padded with -1 to k like FAISS's."""
        allowed = np.intersect1d(allowed, self.ids())  # removed or unknown ids have no vector to reconstruct
        vectors = self.reconstruct(allowed.tolist())
        flat = faiss.IndexFlatIP(self.dimension)
        flat.add(vectors.astype(np.float32))
        scores, rows = flat.search(queries, k)
        ids = np.where(rows >= 0, allowed[np.clip(rows, 0, None)], -1)
        return scores, ids

    def _selector(self, allowed: np.ndarray | None) -> faiss.IDSelector | None:
        if allowed is not None:
            allowed = np.asarray(allowed, dtype=np.int64)
            if self.tombstones:
                allowed = np.setdiff1d(allowed, np.fromiter(self.tombstones, np.int64))
            return faiss.IDSelectorBatch(allowed)
        if self.tombstones:
            return faiss.IDSelectorNot(faiss.IDSelectorBatch(np.fromiter(self.tombstones, np.int64)))
        return None

    def _searcher(self, k: int) -> faiss.Index:
        """The index to run unfiltered searches on: a GPU copy when CUDA is present and the type supports it."""
        ivf = faiss.try_extract_index_ivf(self.index)
        if gpu_count() == 0 or k > _GPU_MAX_K or (ivf is not None and ivf.nprobe > _GPU_MAX_K):
            return self.index
        if self._gpu is None:
            try:
                self._gpu = faiss.index_cpu_to_gpu(faiss.StandardGpuResources(), 0, self.index)
            except RuntimeError:  # type without GPU support (e.g. HNSW): stay on the CPU
                self._gpu = self.index
        return self._gpu

    def reconstruct(self, ids: list[int]) -> np.ndarray:
        """Stored vectors of ids (exact for Flat and HNSW, approximate for PQ)."""
        ivf = faiss.try_extract_index_ivf(self.index)
        if ivf is not None:
            hashtable = faiss.DirectMap.Hashtable  # type: ignore[attr-defined]  # SWIG class missing from the stubs
            if ivf.direct_map.type != hashtable:
                ivf.set_direct_map_type(hashtable)  # an array map needs ids 0..n-1; rows are not
        return np.vstack([self.index.reconstruct(int(i)) for i in ids]) if ids else np.zeros((0, self.dimension))

    def save(self, path: Path) -> None:
        """Write the CPU index with FAISS's own format (never pickle)."""
        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: Path, factory: str, tombstones: set[int]) -> FaissIndex:
        """Read an index file; ValueError if its structure or metric is not what `factory` builds."""
        index = faiss.read_index(str(path))
        built = cls.create(int(index.d), factory).index
        expected = _structure(faiss.deserialize_index(faiss.serialize_index(built)))  # the classes reading gives
        if _structure(index) != expected:
            raise ValueError(f"the FAISS file holds {_structure(index)}, factory {factory!r} builds {expected}")
        if index.ntotal > 0 and not index.is_trained:
            raise ValueError("the FAISS index holds vectors but is not trained")
        return cls(index, factory, tombstones)


def _structure(index: faiss.Index) -> tuple[object, ...]:
    """Facts that identify an index type: class of each layer, metric, code size, IVF list count and quantizer."""
    facts: list[object] = []
    layer: faiss.Index | None = faiss.downcast_index(index)
    while layer is not None:
        facts += [type(layer).__name__, int(layer.metric_type), getattr(layer, "code_size", None)]
        ivf = faiss.try_extract_index_ivf(layer)
        if ivf is not None:
            facts += [int(ivf.nlist), type(faiss.downcast_index(ivf.quantizer)).__name__]
        layer = faiss.downcast_index(layer.index) if isinstance(layer, faiss.IndexIDMap) else None
    return tuple(facts)


def _find_hnsw(index: faiss.Index) -> faiss.IndexHNSW | None:
    inner = faiss.downcast_index(index.index) if isinstance(index, faiss.IndexIDMap) else index
    return inner if isinstance(inner, faiss.IndexHNSW) else None


def _params_for(index: faiss.Index, selector: faiss.IDSelector, exhaustive: bool) -> faiss.SearchParameters:
    """Search parameters carrying the selector; filtered IVF searches probe every list so k hits come back."""
    ivf = faiss.try_extract_index_ivf(index)
    if ivf is not None:
        return faiss.SearchParametersIVF(  # type: ignore[call-arg]  # SWIG keyword constructor, not in the stubs
            sel=selector, nprobe=ivf.nlist if exhaustive else ivf.nprobe)
    hnsw = _find_hnsw(index)
    if hnsw is not None:
        return faiss.SearchParametersHNSW(  # type: ignore[attr-defined]  # SWIG class missing from the stubs
            sel=selector, efSearch=max(hnsw.hnsw.efSearch, 16 * _SEARCH_SLACK))
    return faiss.SearchParameters(sel=selector)  # type: ignore[call-arg]  # SWIG keyword constructor, not in the stubs


register_ann_backend("faiss", FaissIndex)
