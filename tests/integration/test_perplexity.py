"""`ragkit eval perplexity` on the packaged fast model (gemma3-270m): the figure equals one computed by hand from
llama.cpp's raw logits, and likely text scores lower than the same words shuffled, in English and Chinese."""

import json
import math
import random
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from ragkit.cli import app
from ragkit.eval.perplexity import perplexity
from ragkit.models.logprobs import LlamaCppScorer
from ragkit.models.presets import resolve_model

pytestmark = pytest.mark.integration

ENGLISH = ("The sun rises in the east and sets in the west. Every morning the birds sing in the trees, and the "
           "children walk to school along the quiet road.")
CHINESE = "太阳从东方升起，从西方落下。每天早上，鸟儿在树上唱歌，孩子们沿着安静的小路走去上学。"


@pytest.fixture(scope="module")
def scorer() -> LlamaCppScorer:
    return LlamaCppScorer("gemma3-270m", window=128)


def test_perplexity_equals_the_one_computed_by_hand_from_raw_logits(scorer: LlamaCppScorer) -> None:
    from llama_cpp import Llama

    llama = Llama(model_path=str(resolve_model("gemma3-270m").path), n_ctx=128, logits_all=True, verbose=False)
    ids = llama.tokenize(ENGLISH.encode("utf-8"), add_bos=True)
    llama.eval(ids)
    logits = np.asarray(llama.scores[: len(ids) - 1], dtype=np.float64)  # row i predicts token i + 1
    log_softmax = logits - logits.max(axis=1, keepdims=True)
    log_softmax -= np.log(np.exp(log_softmax).sum(axis=1, keepdims=True))
    nll = -float(np.mean([log_softmax[i, ids[i + 1]] for i in range(len(ids) - 1)]))
    result = perplexity(scorer, ENGLISH)
    assert result.tokens == len(ids) - 1 and result.windows == 1
    assert result.nll == pytest.approx(nll, rel=1e-4)
    assert result.perplexity == pytest.approx(math.exp(nll), rel=1e-4)


@pytest.mark.parametrize(("text", "shuffle"), [(ENGLISH, str.split), (CHINESE, list)])
def test_likely_text_has_lower_perplexity_than_its_words_shuffled(scorer: LlamaCppScorer, text: str,
                                                                  shuffle: Callable[[str], list[str]]) -> None:
    pieces = shuffle(text)
    random.Random(0).shuffle(pieces)
    shuffled = (" " if " " in text else "").join(pieces)
    assert perplexity(scorer, text).perplexity < perplexity(scorer, shuffled).perplexity
    # a passage seen once already in the window is copied: its repeat is far more likely
    assert perplexity(scorer, text + "\n" + text).perplexity < perplexity(scorer, text).perplexity


def test_the_command_scores_a_long_file_in_windows(tmp_path: Path) -> None:
    path, out = tmp_path / "text.txt", tmp_path / "ppl.json"
    path.write_text("\n".join([ENGLISH, CHINESE] * 3), encoding="utf-8")
    result = CliRunner().invoke(app, ["eval", "perplexity", str(path), "--model", "gemma3-270m", "--window", "64",
                                      "--json", str(out)])
    assert result.exit_code == 0, result.output
    saved = json.loads(out.read_text(encoding="utf-8"))
    assert saved["windows"] > 2 and saved["window"] == 64 and saved["stride"] == 31
    assert saved["perplexity"] == pytest.approx(math.exp(saved["nll"]))
    assert f"{saved['tokens']} tokens in {saved['windows']} windows" in result.output
