"""Sliding windows score every token once, perplexity is exp(mean NLL), and bad input ends the command in one line
(tests/integration/test_perplexity.py: the real model against its raw logits)."""

import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ragkit.cli import app
from ragkit.errors import InvalidInputError
from ragkit.eval.perplexity import perplexity, windows
from ragkit.models.logprobs import log_softmax_at

pytestmark = pytest.mark.unit


class CharScorer:
    """One token per character; p(token) = 1/2 when it repeats the one before it, else 1/4 (start token: 1/4)."""

    name = "chars"

    def __init__(self, context: int, start: bool = True):
        self.context, self.start = context, [0] if start else []
        self.calls: list[tuple[list[int], int]] = []

    def tokenize(self, text: str) -> list[int]:
        return [ord(ch) for ch in text]

    def logprobs(self, tokens: Sequence[int], scored: int) -> np.ndarray:
        ids = [*self.start, *tokens]
        assert len(ids) <= self.context and 0 < scored < len(ids)
        self.calls.append((list(tokens), scored))
        return np.array([math.log(0.5 if ids[i] == ids[i - 1] else 0.25) for i in range(len(ids) - scored, len(ids))])


def test_windows_overlap_by_window_minus_stride_and_score_each_token_once() -> None:
    assert windows(10, 4, 2) == [(0, 4, 4), (2, 6, 2), (4, 8, 2), (6, 10, 2)]
    assert windows(10, 4, 4) == [(0, 4, 4), (4, 8, 4), (8, 10, 2)]
    assert windows(9, 4, 3) == [(0, 4, 4), (3, 7, 3), (6, 9, 2)]
    assert windows(3, 4, 2) == [(0, 3, 3)]
    assert sum(scored for *_, scored in windows(1000, 64, 17)) == 1000
    with pytest.raises(InvalidInputError, match="between 1 and the window's 4 text tokens, not 5"):
        windows(10, 4, 5)


@pytest.mark.parametrize("text", ["aabb", "今今天天"])
def test_perplexity_is_exp_of_the_mean_nll(text: str) -> None:
    result = perplexity(CharScorer(context=16), text)
    # a: 1/4 after the start token, a: 1/2, b: 1/4, b: 1/2
    assert result.tokens == 4 and result.windows == 1
    assert result.nll == pytest.approx(-(2 * math.log(0.25) + 2 * math.log(0.5)) / 4)
    assert result.perplexity == pytest.approx(math.sqrt(8))


def test_long_texts_are_scored_in_windows_with_context() -> None:
    scorer = CharScorer(context=5)  # the start token and 4 characters
    result = perplexity(scorer, "abcdefghij", stride=2)
    assert [(tokens, scored) for tokens, scored in scorer.calls] == [
        ([97, 98, 99, 100], 4), ([99, 100, 101, 102], 2), ([101, 102, 103, 104], 2), ([103, 104, 105, 106], 2)]
    assert result.tokens == 10 and result.windows == 4 and result.stride == 2 and result.window == 5
    assert result.perplexity == pytest.approx(4.0)


def test_without_a_start_token_the_first_token_is_not_scored() -> None:
    result = perplexity(CharScorer(context=8, start=False), "aabb")
    assert result.tokens == 3 and result.nll == pytest.approx(-(2 * math.log(0.5) + math.log(0.25)) / 3)
    with pytest.raises(InvalidInputError, match="too few tokens"):
        perplexity(CharScorer(context=8, start=False), "a")


def test_log_softmax_matches_the_definition() -> None:
    logits = np.random.default_rng(0).normal(size=(70, 50)).astype(np.float32) * 30
    targets = list(np.random.default_rng(1).integers(0, 50, size=70))
    expected = [float(row[t]) - math.log(sum(math.exp(v) for v in row.astype(float)))
                for row, t in zip(logits, targets)]
    assert log_softmax_at(logits, targets) == pytest.approx(expected, abs=1e-9)


@pytest.mark.parametrize(("content", "args", "message"), [
    (None, [], "no such file"),
    ("", [], "is empty: nothing to score"),
    (" \n\n", [], "is empty: nothing to score"),
    ("Some text.", ["--model", "no-such-model"], "unknown model 'no-such-model'"),
    ("Some text.", ["--backend", "vllm"], "unknown backend 'vllm'"),
])
def test_bad_input_ends_in_one_line_and_exit_code_2(tmp_path: Path, content: str | None, args: list[str],
                                                    message: str) -> None:
    path = tmp_path / "text.txt"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "perplexity", str(path), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output and len(result.output.strip().splitlines()) == 1
