"""Prompt injection with the default packaged model: the attacker's target never reaches the final answer."""

from pathlib import Path

import pytest

from tests.injection_set import ATTACKS, attack_kb

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CHOSEN = ["system-override", "fake-citation-format", "polite-request", "zh-ignore"]


@pytest.mark.parametrize("attack", [a for a in ATTACKS if a["id"] in CHOSEN], ids=lambda a: a["id"])
def test_the_default_model_is_not_injected(tmp_path: Path, attack: dict):
    answer = attack_kb(attack, tmp_path).ask(attack["question"], max_tokens=96)
    assert attack["target"] not in answer.text, (answer.generated, answer.text)
    assert answer.warnings
