"""Typed indexing and retrieval settings: one set of defaults, recorded in the manifest, mismatches refused."""

from pathlib import Path

import pytest

from ragkit.errors import InvalidInputError, SettingsMismatchError
from ragkit.indexing import Indexer
from ragkit.settings import IndexSettings, RetrievalSettings, validated
from ragkit.store.persist import read_manifest
from tests.helpers import EXAMPLES_KB

pytestmark = pytest.mark.unit


def test_unknown_and_invalid_settings_are_refused_with_the_field_named():
    with pytest.raises(InvalidInputError, match="chunk_tonkens"):
        validated(IndexSettings, chunk_tonkens=10)
    with pytest.raises(InvalidInputError, match="overlap_tokens must be smaller"):
        validated(IndexSettings, chunk_tokens=16, overlap_tokens=16)
    with pytest.raises(InvalidInputError, match="^k: "):
        validated(RetrievalSettings, k=0)


def test_the_settings_that_shape_an_index_are_recorded(tmp_path: Path, hashing):
    Indexer(tmp_path / "idx", hashing, IndexSettings(chunk_tokens=64, overlap_tokens=8)).run([EXAMPLES_KB])
    assert read_manifest(tmp_path / "idx").settings == {
        "chunk_tokens": 64, "overlap_tokens": 8, "language": "en", "backend": "faiss", "factory": "Flat",
        "embedder": "hashing:256"}


def test_an_update_keeps_the_recorded_chunking_unless_told_otherwise(tmp_path: Path, hashing):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("alpha " * 300)
    Indexer(tmp_path / "idx", hashing, IndexSettings(chunk_tokens=64, overlap_tokens=0)).run([docs])
    (docs / "b.md").write_text("beta " * 300)
    Indexer(tmp_path / "idx", hashing).run([docs])  # defaults unset: the recorded 64/0 are used for b.md too
    settings = read_manifest(tmp_path / "idx").settings
    assert settings["chunk_tokens"] == 64 and settings["overlap_tokens"] == 0
    with pytest.raises(SettingsMismatchError, match=r"chunk_tokens=100 \(the index has 64\).*--rebuild"):
        Indexer(tmp_path / "idx", hashing, IndexSettings(chunk_tokens=100)).run([docs])
    with pytest.raises(SettingsMismatchError, match="factory='HNSW32'"):
        Indexer(tmp_path / "idx", hashing, IndexSettings(factory="HNSW32")).run([docs])


def test_rebuild_replaces_the_chunking_without_mixing(tmp_path: Path, hashing):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text(" ".join(f"w{i}" for i in range(600)))
    small = Indexer(tmp_path / "idx", hashing, IndexSettings(chunk_tokens=32, overlap_tokens=0)).run([docs])
    big = Indexer(tmp_path / "idx", hashing, IndexSettings(chunk_tokens=256, overlap_tokens=0, rebuild=True)).run(
        [docs])
    assert big.chunks < small.chunks
    assert read_manifest(tmp_path / "idx").settings["chunk_tokens"] == 256


def test_legacy_manifests_without_settings_count_as_the_old_defaults():
    assert IndexSettings().adopt({}, "old").chunk_tokens == 100
    with pytest.raises(SettingsMismatchError):
        IndexSettings(chunk_tokens=200).adopt({}, "old")


def test_retrieval_threshold_auto_means_the_embedders_calibrated_one():
    assert RetrievalSettings().threshold(0.8) == 0.8
    assert RetrievalSettings(score_threshold=0.3).threshold(0.8) == 0.3
    assert RetrievalSettings(score_threshold=None).threshold(0.8) is None


def test_a_chinese_corpus_gets_the_multilingual_embedder_and_longer_chunks(tmp_path: Path):
    from ragkit.kb import KnowledgeBase

    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("差旅报销须在出差结束后十五个工作日内提交，并附上发票原件。" * 20, encoding="utf-8")
    settings = KnowledgeBase(path=tmp_path / "idx").prepare([docs])
    assert settings.language == "zh" and settings.embedder == "multilingual-e5-small"
    assert settings.chunking() == (200, 32)
    english = tmp_path / "en"
    english.mkdir()
    (english / "a.md").write_text("Expenses are claimed within fifteen working days. " * 20)
    settings = KnowledgeBase(path=tmp_path / "idx2").prepare([english])
    assert settings.language == "en" and settings.embedder == "all-MiniLM-L6-v2" and settings.chunking() == (100, 16)
    assert KnowledgeBase(path=tmp_path / "idx3", embedder="hashing").prepare([docs]).embedder == "hashing"
