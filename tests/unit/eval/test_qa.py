"""QA scoring: SQuAD normalization, exact match and token F1 (tests/unit/eval/test_breakdown.py: a chain end to end)."""

import pytest

from ragkit.eval.qa import exact_match, normalize_answer, strip_citations, token_f1

pytestmark = pytest.mark.unit


def test_squad_normalization() -> None:
    assert normalize_answer("The  Denver Broncos!") == "denver broncos"
    assert exact_match("the Denver Broncos.", ["Denver Broncos"]) == 1.0
    assert exact_match("Broncos", ["Denver Broncos"]) == 0.0


def test_token_f1_takes_the_best_gold() -> None:
    assert token_f1("Denver Broncos", ["Broncos", "Denver Broncos"]) == 1.0
    assert token_f1("Broncos", ["Denver Broncos"]) == pytest.approx(2 / 3)
    assert token_f1("Panthers", ["Denver Broncos"]) == 0.0


def test_citations_are_stripped_before_scoring() -> None:
    assert strip_citations("Denver Broncos [1, 2].") == "Denver Broncos."
