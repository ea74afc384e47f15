"""`ragkit serve` flags on bad input: a one-line reason and exit code 2, before anything starts."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from ragkit.cli import app

pytestmark = pytest.mark.unit


@pytest.mark.parametrize("args", [["--replicas", "2"], ["--replica-cpus", "0.5"]])
def test_ray_flags_without_ray_are_refused(args: list[str]):
    result = CliRunner().invoke(app, ["serve", *args])
    assert result.exit_code == 2 and "--replicas and --replica-cpus need --ray" in result.output


def test_zero_replicas_is_refused():
    result = CliRunner().invoke(app, ["serve", "--ray", "--replicas", "0"])
    assert result.exit_code == 2 and "replicas" in result.output


def test_settings_from_flags_take_a_model():
    from ragkit.server.cli import _settings

    assert _settings(model="gemma3-270m", port=None).model == "gemma3-270m"  # `model` is also validated's argument
