"""Several threads use one backend object at once: no crash, and every answer is complete and one the same prompt
gets alone (greedy decoding), for both invoke and stream.

llama.cpp keeps the KV cache between calls and re-evaluates only what follows the prefix shared with the previous
prompt, and its kernels are not batch-invariant: the last bits of the logits depend on where that split falls, so a
near tie can flip with the predecessor ("What is 1 plus 9?" right after "What is 10 plus 7?" stops after " 1 plus 9",
after any other prompt it goes on). Threads take the lock in any order, so a llama.cpp answer is checked against the
answers its prompt gets after each possible predecessor; transformers keeps no cache between calls.
"""

from concurrent.futures import ThreadPoolExecutor

import pytest
from langchain_core.language_models import BaseChatModel

from ragkit.models import ChatLlamaCpp, ChatTransformers

pytestmark = pytest.mark.integration

PROMPTS = [f"Question: What is {a} plus {b}?\nAnswer:" for a, b in [(2, 3), (10, 7), (4, 4), (1, 9), (6, 5), (8, 2)]]


@pytest.fixture(params=["llamacpp", "transformers"])
def model(request: pytest.FixtureRequest) -> BaseChatModel:
    cls = ChatLlamaCpp if request.param == "llamacpp" else ChatTransformers
    return cls(model="gemma3-270m", max_tokens=16)


def _answer(model: BaseChatModel, prompt: str) -> str:
    return str(model.invoke(prompt).content)


def _streamed(model: BaseChatModel, prompt: str) -> str:
    return "".join(str(chunk.content) for chunk in model.stream(prompt))


def _serial_answers(model: BaseChatModel) -> list[set[str]]:
    """Each prompt's answers when asked alone, after each prompt that may have run just before it."""
    if not isinstance(model, ChatLlamaCpp):
        return [{_answer(model, p)} for p in PROMPTS]
    answers: list[set[str]] = [set() for _ in PROMPTS]
    for before in PROMPTS:
        for i, prompt in enumerate(PROMPTS):
            _answer(model, before)
            answers[i].add(_answer(model, prompt))
    return answers


def test_concurrent_callers_get_complete_answers(model: BaseChatModel) -> None:
    serial = _serial_answers(model)
    with ThreadPoolExecutor(max_workers=len(PROMPTS)) as pool:
        invoked = list(pool.map(lambda p: _answer(model, p), PROMPTS))
        streamed = list(pool.map(lambda p: _streamed(model, p), PROMPTS))
    assert all(all(answers) for answers in serial)
    assert [a in answers for a, answers in zip(invoked, serial, strict=True)] == [True] * len(PROMPTS), invoked
    assert [a in answers for a, answers in zip(streamed, serial, strict=True)] == [True] * len(PROMPTS), streamed
