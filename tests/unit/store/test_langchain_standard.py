"""LangChain's standard VectorStore suite, run against ragkit's FAISS store on every index type."""

from collections.abc import Generator

import pytest
from langchain_core.vectorstores import VectorStore
from langchain_tests.integration_tests import VectorStoreIntegrationTests

from ragkit.store import AnnVectorStore

pytestmark = pytest.mark.unit


class TestFlatStandard(VectorStoreIntegrationTests):
    factory = "Flat"

    @property
    def has_async(self) -> bool:
        return True

    @pytest.fixture()
    def vectorstore(self) -> Generator[VectorStore, None, None]:  # type: ignore[override]
        yield AnnVectorStore(self.get_embeddings(), self.factory)


class TestHNSWStandard(TestFlatStandard):
    factory = "HNSW16"
