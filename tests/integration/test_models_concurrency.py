"""Several threads use one backend object at once: no crash, and every answer is complete and identical to the
answer the same prompt gets alone (greedy decoding), for both invoke and stream."""

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


def _streamed(model: BaseChatModel, prompt: str) -> str:
    return "".join(str(chunk.content) for chunk in model.stream(prompt))


def test_concurrent_callers_get_complete_answers(model: BaseChatModel) -> None:
    alone = [str(model.invoke(p).content) for p in PROMPTS]
    with ThreadPoolExecutor(max_workers=len(PROMPTS)) as pool:
        invoked = list(pool.map(lambda p: str(model.invoke(p).content), PROMPTS))
        streamed = list(pool.map(lambda p: _streamed(model, p), PROMPTS))
    assert all(alone)
    assert invoked == alone
    assert streamed == alone
