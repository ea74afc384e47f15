"""ROUGE-L and BLEU against hand-computed values and sacrebleu's documented example, in English and Chinese."""

import math

import pytest

from ragkit.errors import InvalidInputError
from ragkit.eval.textmetrics import bleu_tokenizer, rouge_l, rouge_tokens, sentence_bleu, text_scores

pytestmark = pytest.mark.unit


def _f(lcs: int, prediction: int, reference: int) -> float:
    """LCS F-measure by hand: harmonic mean of LCS/prediction length and LCS/reference length."""
    precision, recall = lcs / prediction, lcs / reference
    return 2 * precision * recall / (precision + recall)


@pytest.mark.parametrize(("prediction", "references", "expected"), [
    ("the cat is on the mat", ["the cat sat on the mat"], _f(5, 6, 6)),  # LCS: the cat on the mat
    ("The CAT is on the mat!", ["the cat sat on the mat"], _f(5, 6, 6)),  # lower-cased, punctuation dropped
    ("the cat was found under the bed", ["the cat was under the bed"], _f(6, 7, 6)),
    ("the cat is on the mat", ["a dog", "the cat sat on the mat"], _f(5, 6, 6)),  # the best reference counts
    ("猫在垫子上", ["猫坐在垫子上"], _f(5, 5, 6)),  # characters: 猫 在 垫 子 上
    ("今天天气不错。", ["今天天气很好"], _f(4, 6, 6)),  # full-width punctuation is no token
    ("a dog", ["猫坐在垫子上"], 0.0),
    ("", ["the cat"], 0.0),
])
def test_rouge_l_is_the_lcs_f_measure(prediction: str, references: list[str], expected: float) -> None:
    assert rouge_l(prediction, references) == pytest.approx(expected)


def test_rouge_score_alone_drops_chinese_which_the_tokenizer_keeps() -> None:
    from rouge_score import rouge_scorer

    assert rouge_scorer.RougeScorer(["rougeL"]).score("猫坐在垫子上", "猫在垫子上")["rougeL"].fmeasure == 0.0
    assert rouge_tokens("用Python 3写代码") == ["用", "python", "3", "写", "代", "码"]
    assert rouge_tokens("支持ＡＰＩ调用") == ["支", "持", "api", "调", "用"]  # NFKC: full-width letters
    assert rouge_tokens("It's 10:30, isn't it?") == ["it", "s", "10", "30", "isn", "t", "it"]  # as rouge-score


def test_corpus_bleu_matches_sacrebleus_documented_example() -> None:
    # sacrebleu's README: BLEU = 48.53 82.4/50.0/45.5/37.5 (BP = 0.943 ratio = 0.944 hyp_len = 17 ref_len = 18)
    predictions = ["The dog bit the man.", "It wasn't surprising.", "The man had just bitten him."]
    references = [["The dog bit the man.", "The dog had bit the man."],
                  ["It was not unexpected.", "No one was surprised."],
                  ["The man bit him first.", "The man had bitten the dog."]]
    assert round(text_scores(predictions, references)["bleu"], 2) == 48.53


def test_sentence_bleu_by_hand_in_english_and_chinese() -> None:
    # n-gram precisions 5/6, 3/5, 2/4, 1/3 over words; equal lengths, so no brevity penalty
    assert sentence_bleu("the cat sat on the mat", ["the cat sat on a mat"]) == pytest.approx(
        100 * (5 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25, abs=1e-6)
    # over characters: 今 天 天 气 of 今天天气不错 in 今天天气很好, then 今天 天天 天气, 今天天 天天气, 今天天气
    assert sentence_bleu("今天天气不错", ["今天天气很好"]) == pytest.approx(
        100 * (4 / 6 * 3 / 5 * 2 / 4 * 1 / 3) ** 0.25, abs=1e-6)
    assert sentence_bleu("今天天气不错", ["今天天气很好"], tokenize="13a") == 0.0  # one "word" each: why zh is needed
    assert sentence_bleu("猫坐在垫子上", ["狗", "猫坐在垫子上"]) == pytest.approx(100.0)


def test_bleu_tokenizer_follows_the_detected_language() -> None:
    assert bleu_tokenizer(["The dog bit the man.", "No one was surprised."]) == "13a"
    assert bleu_tokenizer(["今天天气不错", "The weather is fine"]) == "zh"


def test_text_scores_in_chinese_by_hand() -> None:
    scores = text_scores(["猫在垫子上", "今天天气不错"], [["猫坐在垫子上"], ["今天天气很好"]])
    assert scores["rouge_l"] == pytest.approx((_f(5, 5, 6) + _f(4, 6, 6)) / 2)
    # character n-gram matches summed over both items: 9/11, 6/9, 4/7, 2/5; 11 characters against 12
    assert scores["bleu"] == pytest.approx(
        100 * math.exp(1 - 12 / 11) * (9 / 11 * 6 / 9 * 4 / 7 * 2 / 5) ** 0.25, abs=1e-6)


def test_items_may_have_different_numbers_of_references() -> None:
    scores = text_scores(["the cat sat on the mat", "a dog ran in the park"],
                         [["the cat sat on the mat"], ["something else entirely", "a dog ran in the park"]])
    assert scores == {"rouge_l": pytest.approx(1.0), "bleu": pytest.approx(100.0)}


@pytest.mark.parametrize(("predictions", "references", "message"), [
    (["a"], [["a"], ["b"]], "1 predictions but 2 reference lists"),
    ([], [], "no predictions"),
    (["a", "b"], [["a"], []], "at least one reference"),
])
def test_bad_input_is_refused(predictions: list[str], references: list[list[str]], message: str) -> None:
    with pytest.raises(InvalidInputError, match=message):
        text_scores(predictions, references)
