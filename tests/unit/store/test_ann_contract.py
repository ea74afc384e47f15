"""FaissIndex passes the ANN-backend contract on every index type ragkit builds."""

import pytest

from ragkit.store import FaissIndex
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


class TestPQ(TestFlat):
    factory = "PQ16x4"
    exact_reconstruct = False
