"""`ragkit ask --adapter DIR`: a fine-tuned adapter is served on llama.cpp with the prompt it was trained on."""

import pytest
from typer.testing import CliRunner

from ragkit.cli import app
from tests.helpers import EXAMPLES_KB, REPO

pytestmark = pytest.mark.integration


def test_ask_with_the_shipped_adapter_directory(indexes):
    runner = CliRunner()
    assert runner.invoke(app, ["index", str(EXAMPLES_KB), "--index", "kb"]).exit_code == 0
    result = runner.invoke(app, ["ask", "What is the daily meal allowance when travelling?", "--index", "kb",
                                 "--model", "gemma3-270m", "--adapter", str(REPO / "adapters" / "gemma3-270m-squad")])
    assert result.exit_code == 0, result.output
    assert "60 euros" in result.output
    assert "model: gemma3-270m + gemma3-270m-squad" in result.output
    assert "travel-policy.pdf" in result.output
