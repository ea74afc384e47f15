"""FaissIndex passes the ANN-backend contract on every index type ragkit builds."""

from functools import cache

import faiss
import pytest

from ragkit.store import FaissIndex
from ragkit.store.ann import AnnIndex
from ragkit.store.testing import AnnIndexContract

pytestmark = pytest.mark.unit


class TestFlat(AnnIndexContract):
    backend = FaissIndex
    factory = "Flat"


class TestIVFFlat(TestFlat):
    factory = "IVF8,Flat"


class TestHNSW(TestFlat):
    factory = "HNSW16"


class TestIVFSQ8(TestFlat):
    factory = "IVF8,SQ8"
    exact_reconstruct = False


class TestIVFPQ(TestFlat):
    factory = "IVF8,PQ16x4"
    exact_reconstruct = False

    def empty(self) -> AnnIndex:
        """A copy of one trained index: PQ training takes seconds per index on a busy machine."""
        return FaissIndex(faiss.deserialize_index(_trained(type(self))), self.factory)


class TestPQ(TestIVFPQ):
    factory = "PQ16x4"


@cache
def _trained(contract: type[AnnIndexContract]) -> bytes:
    index = FaissIndex.create(contract.dimension, contract.factory)
    index.train(contract().vectors(contract.size, seed=1))
    return faiss.serialize_index(index.index)
