"""Retrieval training without real models: pairs, the query adapter through the manifest, synthetic-pair
filtering, and the old `ragkit finetune` form."""

from pathlib import Path

import numpy as np
import pytest
from langchain_core.language_models.fake_chat_models import FakeListChatModel
from typer.testing import CliRunner

from ragkit.cli import app
from ragkit.digests import file_sha256
from ragkit.embeddings import HashingEmbeddings, from_spec
from ragkit.embeddings.adapter import QueryAdapterEmbeddings
from ragkit.errors import IndexFormatError, InvalidInputError
from ragkit.eval.beir import BeirDataset
from ragkit.finetune.embedder import EmbedderTraining, train_query_adapter
from ragkit.finetune.mining import MiningSettings, lead_passages, mine_negatives, triples
from ragkit.finetune.pairs import load_pairs, pairs_dataset, split_queries
from ragkit.finetune.synthetic import Synthetic, round_trip, write_questions
from ragkit.kb import KnowledgeBase
from ragkit.retrieval import DenseRetriever
from ragkit.store import AnnVectorStore

pytestmark = pytest.mark.unit

PASSAGES = {
    "tea": "Green tea is steamed soon after picking, which keeps its leaves green.",
    "pass": "Passwords must have twelve characters and live in the password manager.",
    "trip": "Business class needs a vice president's approval on flights over eight hours.",
    "leave": "员工每年享有十五天带薪年假，入职满五年后增加到二十天。",
    "refund": "退款在收到退货后五个工作日内退回原支付账户。",
}


def _store(embedder: HashingEmbeddings) -> AnnVectorStore:
    return AnnVectorStore.from_texts(list(PASSAGES.values()), embedder, metadatas=[{"source": k} for k in PASSAGES],
                                       ids=list(PASSAGES))


def test_pairs_file_becomes_a_dataset_and_bad_lines_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "pairs.jsonl"
    path.write_text('{"query": "How long must passwords be?", "positive": "Twelve characters.", "negative": "Tea."}\n'
                    '{"query": "年假几天？", "positive": "十五天。"}\n', encoding="utf-8")
    dataset, negatives = pairs_dataset(load_pairs(path))
    assert len(dataset.queries) == 2 and len(dataset.corpus) == 3
    assert [dataset.corpus[n][1] for ns in negatives.values() for n in ns] == ["Tea."]
    path.write_text('{"query": "q"}\n')
    with pytest.raises(InvalidInputError, match="pairs.jsonl:1: not a"):
        load_pairs(path)


def test_dev_split_is_by_query_seeded_and_disjoint() -> None:
    data = BeirDataset({"d": ("", "x")}, {str(i): f"q{i}" for i in range(10)}, {str(i): {"d": 1} for i in range(10)})
    train, dev = split_queries(data, 0.2, seed=3)
    assert len(dev.queries) == 2 and not set(train.queries) & set(dev.queries)
    assert split_queries(data, 0.2, seed=3)[1].queries == dev.queries


def test_mined_negatives_are_ranked_passages_never_the_positive(hashing: HashingEmbeddings) -> None:
    data = BeirDataset({k: ("", v) for k, v in PASSAGES.items()}, {"q": "passwords in the password manager"},
                       {"q": {"pass": 1}})
    mined = mine_negatives(data, _store(hashing), MiningSettings(skip=0, depth=5, per_query=3))
    assert len(mined["q"]) == 3 and "pass" not in mined["q"]
    rows = triples(data, mined, lead_passages(_store(hashing)))
    assert rows[0][:2] == ("passwords in the password manager", PASSAGES["pass"])


def test_query_adapter_round_trips_through_the_manifest(tmp_path: Path, indexes: Path) -> None:
    base = HashingEmbeddings(64)
    rng = np.random.default_rng(0)
    vectors = base.embed_array(list(PASSAGES.values()))
    queries = vectors + 0.3 * rng.standard_normal(vectors.shape).astype(np.float32)
    out = tmp_path / "adapter"
    train_query_adapter(base, queries, vectors, np.roll(vectors, 1, axis=0), out,
                        EmbedderTraining(adapter_epochs=3, batch_size=2))
    adapter = from_spec(str(out))
    assert isinstance(adapter, QueryAdapterEmbeddings) and adapter.document_model_id == base.model_id
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text(PASSAGES["pass"])
    KnowledgeBase("t", embedder=str(out)).index([docs])
    manifest = KnowledgeBase("t").manifest()
    assert manifest.embedder_spec == str(out)
    assert manifest.embedder_sha256 == file_sha256(out / "adapter.npz") and "+adapter@" in manifest.embedder
    reopened = KnowledgeBase("t")
    assert isinstance(reopened.embedder, QueryAdapterEmbeddings)
    assert reopened.retriever().invoke("twelve characters password manager")
    with pytest.raises(IndexFormatError, match="was built with embedder .*adapter.* not 'ragkit-hashing-64'"):
        KnowledgeBase("t", embedder="hashing:64").store  # noqa: B018


def test_round_trip_drops_a_question_that_does_not_find_its_chunk(hashing: HashingEmbeddings) -> None:
    retriever = DenseRetriever(store=_store(hashing), k=1)
    kept = round_trip([Synthetic("How many characters must passwords have?", "pass"),
                       Synthetic("入职满五年后有几天年假？", "leave"),
                       Synthetic("What colour is the sky on Mars?", "tea")], retriever, k=1)
    assert [q.doc_id for q in kept] == ["pass", "leave"]


def test_questions_stop_at_the_time_budget_and_report_progress() -> None:
    llm = FakeListChatModel(responses=["Question: Why are green tea leaves green?", "入职满五年后有几天年假？\nmore"] * 3)
    ticks = iter(range(100))
    seen: list[tuple[int, int]] = []
    written = write_questions(llm, PASSAGES, budget_s=3.0, clock=lambda: float(next(ticks)),
                              progress=lambda stage, done, total: seen.append((done, total)))
    assert len(written) == 3 and seen[-1] == (3, 3)  # one second a question: three fit in three seconds
    assert {q.question for q in written} == {"Why are green tea leaves green?", "入职满五年后有几天年假？"}


def test_old_finetune_form_is_refused_with_a_hint() -> None:
    result = CliRunner().invoke(app, ["finetune", "--train", "t.jsonl", "--eval", "e.jsonl", "--out", "x"])
    assert result.exit_code == 2 and "ragkit finetune lora --train" in result.output
    assert CliRunner().invoke(app, ["finetune", "lora", "--help"]).exit_code == 0
