"""Ranking metrics against hand-computed values."""

import math

import pytest

from ragkit.eval.metrics import evaluate, mrr_at_k, ndcg_at_k, recall_at_k

pytestmark = pytest.mark.unit

RANKED = ["a", "b", "c", "d"]
RELEVANT = {"b": 1, "d": 2, "e": 1, "z": 0}


def test_ndcg_hand_computed() -> None:
    # DCG@3 = 1/log2(3) (b at rank 2); ideal gains [2, 1, 1] -> 2 + 1/log2(3) + 1/log2(4)
    expected = (1 / math.log2(3)) / (2 + 1 / math.log2(3) + 0.5)
    assert ndcg_at_k(RANKED, RELEVANT, 3) == pytest.approx(expected)
    assert ndcg_at_k(RANKED, RELEVANT, 3) == pytest.approx(0.201515, abs=1e-6)


def test_ndcg_of_ideal_ranking_is_one_and_of_no_hit_zero() -> None:
    assert ndcg_at_k(["d", "b", "e"], RELEVANT, 10) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "y"], RELEVANT, 10) == 0.0


def test_recall_counts_only_positive_grades() -> None:
    assert recall_at_k(RANKED, RELEVANT, 3) == pytest.approx(1 / 3)
    assert recall_at_k(RANKED, RELEVANT, 4) == pytest.approx(2 / 3)
    assert recall_at_k(["z"], RELEVANT, 1) == 0.0


def test_mrr_is_reciprocal_rank_of_first_hit_within_cutoff() -> None:
    assert mrr_at_k(RANKED, RELEVANT, 3) == 0.5
    assert mrr_at_k(RANKED, RELEVANT, 1) == 0.0


def test_repeated_documents_count_once_at_their_best_rank() -> None:
    assert recall_at_k(["b", "b", "d"], RELEVANT, 2) == pytest.approx(2 / 3)  # ranking is b, d
    assert mrr_at_k(["x", "x", "b"], RELEVANT, 2) == 0.5


def test_evaluate_averages_over_judged_queries_and_scores_missing_runs_zero() -> None:
    qrels = {"q1": {"a": 1}, "q2": {"b": 1}, "q3": {"c": 0}}
    scores = evaluate({"q1": ["a"], "q3": ["c"]}, qrels)
    assert scores["ndcg@10"] == pytest.approx(0.5)
    assert scores["mrr@10"] == pytest.approx(0.5)
    assert set(scores) == {"ndcg@10", "recall@10", "recall@100", "mrr@10"}


def test_evaluate_rejects_judgments_without_relevant_documents() -> None:
    with pytest.raises(ValueError, match="no relevant"):
        evaluate({}, {"q": {"a": 0}})
