"""Each example selector's choice on a small example set."""

import pytest
from langchain_core.example_selectors import BaseExampleSelector
from langchain_core.prompts import PromptTemplate

from ragkit.errors import PromptError
from ragkit.prompts import (
    NGramOverlapExampleSelector,
    TokenBudgetExampleSelector,
    check_prompt_file,
    count_words,
    mmr_selector,
    semantic_similarity_selector,
)
from ragkit.prompts.selectors import build_selector
from ragkit.prompts.spec import LengthSelectorConfig

pytestmark = pytest.mark.unit

EXAMPLES = [
    {"question": "How many apples are in the basket?", "answer": "3"},
    {"question": "How many apples are in the basket now?", "answer": "5"},
    {"question": "Who wrote the play Hamlet?", "answer": "Shakespeare"},
    {"question": "How many pears did Tom eat?", "answer": "2"},
]


def questions(chosen: list[dict]) -> list[str]:
    return [example["question"] for example in chosen]


def test_semantic_similarity_picks_the_nearest_examples(hashing):
    selector = semantic_similarity_selector(EXAMPLES, hashing, k=2, input_keys=["question"])
    assert isinstance(selector, BaseExampleSelector)
    chosen = selector.select_examples({"question": "How many apples are in the box?"})
    assert questions(chosen) == ["How many apples are in the basket?", "How many apples are in the basket now?"]


def test_mmr_trades_a_near_duplicate_for_diversity(hashing):
    selector = mmr_selector(EXAMPLES, hashing, k=2, input_keys=["question"], fetch_k=4, lambda_mult=0.3)
    chosen = selector.select_examples({"question": "How many apples are in the box?"})
    assert questions(chosen)[0] == "How many apples are in the basket?"
    assert "How many apples are in the basket now?" not in questions(chosen)


def test_token_budget_keeps_examples_in_order_while_they_fit():
    prompt = PromptTemplate.from_template("Q: {question}\nA: {answer}")
    selector = TokenBudgetExampleSelector(examples=list(EXAMPLES), example_prompt=prompt, max_tokens=24,
                                          count_tokens=count_words)
    # input 4 words, then 10, 11 (25 > 24 stops before the second example)
    assert questions(selector.select_examples({"question": "How many apples now?"})) == [EXAMPLES[0]["question"]]
    selector.max_tokens = 40
    assert len(selector.select_examples({"question": "How many apples now?"})) == 3


def test_ngram_overlap_ranks_by_shared_ngrams_and_drops_below_threshold():
    selector = NGramOverlapExampleSelector(examples=list(EXAMPLES), k=3, n=2, threshold=0.2, input_keys=["question"])
    chosen = selector.select_examples({"question": "How many pears did Ann eat?"})  # 8/11, 3/11, 3/11, 0
    assert questions(chosen) == ["How many pears did Tom eat?", "How many apples are in the basket?",
                                 "How many apples are in the basket now?"]
    assert selector.score({"question": "How many pears did Tom eat?"}, EXAMPLES[3]) == 1.0
    assert selector.select_examples({"question": "Quantum chromodynamics"}) == []


async def test_mmr_lambda_mult_reaches_the_search(hashing):
    def selector(lambda_mult: float):
        return mmr_selector(EXAMPLES, hashing, k=2, input_keys=["question"], fetch_k=4, lambda_mult=lambda_mult)

    query = {"question": "How many apples are in the box?"}
    similar, diverse = selector(1.0).select_examples(query), selector(0.1).select_examples(query)
    assert questions(similar) == ["How many apples are in the basket?", "How many apples are in the basket now?"]
    assert questions(diverse)[0] == "How many apples are in the basket?" and similar != diverse
    assert await selector(0.1).aselect_examples(query) == diverse


def test_a_model_tokenizer_needs_its_counter_handed_in():
    config = LengthSelectorConfig(type="length_based", max_tokens=24, tokenizer="gemma3-270m")
    prompt = PromptTemplate.from_template("Q: {question}\nA: {answer}")
    with pytest.raises(PromptError, match=r"count_tokens=ragkit.models.token_counter\('gemma3-270m'\)"):
        build_selector(config, list(EXAMPLES), prompt, ["question"])
    chars = build_selector(config, list(EXAMPLES), prompt, ["question"], count_tokens=len)
    assert chars.select_examples({"question": "?"}) == []  # the first example alone is over 24 characters
    words = build_selector(config.model_copy(update={"tokenizer": "words"}), list(EXAMPLES), prompt, ["question"])
    assert len(words.select_examples({"question": "?"})) == 2


@pytest.mark.parametrize(("tokenizer", "ok"), [
    ("words", True), ("gemma3-270m", True), ("models/my-model.Q4.gguf", True), ("My Tokenizer", False),
])
def test_lint_checks_the_tokenizer_name_without_knowing_the_models(tmp_path, tokenizer: str, ok: bool):
    path = tmp_path / "p.prompt"
    path.write_text(
        "---\nid: p\nversion: 1\ndescription: A prompt.\ninput_variables:\n  question:\n    description: Q.\n"
        "examples:\n  - {question: a, answer: b}\nexample_template: 'Q: {question} A: {answer}'\n"
        f"example_selector:\n  type: length_based\n  max_tokens: 10\n  tokenizer: {tokenizer}\n---\nAnswer.\nexamples:\n{{question}}\n",
        encoding="utf-8")
    _, problems = check_prompt_file(path)
    expected = [] if ok else [f"{path}:14: example_selector.tokenizer: {tokenizer!r} is not 'words', a model preset "
                              "or a .gguf path"]
    assert [str(p) for p in problems] == expected
