"""Shared fixtures: offline models, a throwaway indexes directory, the example knowledge base and benchmark data."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from ragkit.eval.data import shared_data


@pytest.fixture()
def data_dir() -> Path:
    path = shared_data()
    if path is None:
        pytest.skip("benchmark data absent: ../shared/data (or $RAGKIT_DATA) is not there")
    return path


@pytest.fixture()
def indexes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private indexes/ directory, so tests never touch the repo's."""
    path = tmp_path / "indexes"
    monkeypatch.setenv("RAGKIT_INDEXES", str(path))
    return path


@pytest.fixture()
def hashing():
    from ragkit.embeddings import HashingEmbeddings

    return HashingEmbeddings(256)


@pytest.fixture(scope="session")
def minilm():
    from ragkit.embeddings import SentenceTransformerEmbeddings

    return SentenceTransformerEmbeddings()
