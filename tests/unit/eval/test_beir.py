"""BEIR loader on a tiny hand-written dataset."""

import json
from pathlib import Path

import pytest

from ragkit.errors import InvalidInputError
from ragkit.eval.beir import load_beir

pytestmark = pytest.mark.unit


@pytest.fixture()
def beir_dir(tmp_path: Path) -> Path:
    corpus = [{"_id": "d1", "title": "T1", "text": "alpha"}, {"_id": 2, "title": "", "text": "beta"}]
    queries = [{"_id": "q1", "text": "alpha?"}, {"_id": "q2", "text": "beta?"}, {"_id": "q3", "text": "unjudged"}]
    (tmp_path / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in corpus))
    (tmp_path / "queries.jsonl").write_text("\n".join(json.dumps(r) for r in queries))
    (tmp_path / "qrels").mkdir()
    (tmp_path / "qrels" / "dev.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\nq2\t2\t2\n")
    return tmp_path


def test_load_keeps_judged_queries_only(beir_dir: Path) -> None:
    data = load_beir(beir_dir, "dev")
    assert data.queries == {"q1": "alpha?", "q2": "beta?"}
    assert data.qrels == {"q1": {"d1": 1}, "q2": {"2": 2}}
    assert data.document_text("d1") == "T1\nalpha"
    assert data.document_text("2") == "beta"


def test_missing_split_is_a_clear_error(beir_dir: Path) -> None:
    with pytest.raises(InvalidInputError, match="test.tsv is missing"):
        load_beir(beir_dir, "test")
