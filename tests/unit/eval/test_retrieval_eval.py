"""`ragkit eval retrieval` on a tiny BEIR dataset with the hashing embedder: table, JSON and chart."""

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import ragkit.embeddings
from ragkit.cli import app
from ragkit.embeddings import HashingEmbeddings
from ragkit.eval.beir import load_beir
from ragkit.eval.retrieval import default_retrievers, evaluate_retrievers, index_corpus

pytestmark = pytest.mark.unit

TOPICS = ["volcano lava eruption magma", "penguin antarctic ice colony", "violin orchestra concerto string",
          "bitcoin blockchain ledger mining", "tomato garden soil compost"]


@pytest.fixture()
def beir_dir(tmp_path: Path) -> Path:
    corpus = [{"_id": f"d{i}", "title": f"About {t.split()[0]}", "text": f"{t}. " * 30} for i, t in enumerate(TOPICS)]
    queries = [{"_id": f"q{i}", "text": t.split()[1] + " " + t.split()[2]} for i, t in enumerate(TOPICS)]
    (tmp_path / "corpus.jsonl").write_text("\n".join(json.dumps(r) for r in corpus))
    (tmp_path / "queries.jsonl").write_text("\n".join(json.dumps(r) for r in queries))
    (tmp_path / "qrels").mkdir()
    rows = "".join(f"q{i}\td{i}\t1\n" for i in range(len(TOPICS)))
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\n" + rows)
    return tmp_path


def test_long_documents_are_chunked_and_ranked_once(beir_dir: Path) -> None:
    data = load_beir(beir_dir, "test")
    store = index_corpus(data, HashingEmbeddings(128), chunk_tokens=40, overlap_tokens=0)
    assert len(store) > len(data.corpus)
    retrievers = default_retrievers(store)
    docs = retrievers["hybrid"].invoke("penguin colony")
    sources = [d.metadata["source"] for d in docs]
    assert sources[0] == "d1" and len(sources) == len(set(sources)) == len(TOPICS)
    results = evaluate_retrievers(data, retrievers)
    assert results["bm25"]["ndcg@10"] == pytest.approx(1.0)
    assert results["hybrid"]["mrr@10"] == pytest.approx(1.0)


def test_cli_prints_table_and_writes_json_and_png(beir_dir: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ragkit.embeddings, "SentenceTransformerEmbeddings", lambda: HashingEmbeddings(128))
    monkeypatch.setenv("RAGKIT_CACHE", str(tmp_path / "cache"))
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["eval", "retrieval", "--beir", str(beir_dir), "--split", "test",
                                      "--out", str(out), "-r", "bm25", "-r", "hybrid"])
    assert result.exit_code == 0, result.output
    assert "ndcg@10" in result.output and "hybrid" in result.output
    report = json.loads((out / "results.json").read_text())
    assert set(report["results"]) == {"bm25", "hybrid"}
    assert (out / "results.png").read_bytes()[:4] == b"\x89PNG"


def test_cli_rejects_unknown_retriever_and_missing_split(beir_dir: Path) -> None:
    bad = CliRunner().invoke(app, ["eval", "retrieval", "--beir", str(beir_dir), "-r", "colbert"])
    assert bad.exit_code == 2 and "unknown retriever colbert" in bad.output
    missing = CliRunner().invoke(app, ["eval", "retrieval", "--beir", str(beir_dir), "--split", "dev"])
    assert missing.exit_code == 2 and "dev.tsv is missing" in missing.output
