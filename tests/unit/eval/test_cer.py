"""Character error rate: edits per reference character, whitespace ignored, in Chinese and English."""

import pytest

from ragkit.eval.metrics import character_error_rate

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(("hypothesis", "reference", "cer"), [
    ("客服热线 400-600-3721", "客服热线400-600-3721", 0.0),
    ("客服热綫400-600-3721", "客服热线400-600-3721", 1 / 16),
    ("hotel limit", "hotel  limit 450", 3 / 13),
    ("", "abc", 1.0),
    ("abc", "", 3.0),
])
def test_edits_per_reference_character(hypothesis: str, reference: str, cer: float):
    assert character_error_rate(hypothesis, reference) == pytest.approx(cer)
