"""Each reasoning chain runs end to end on the packaged fast model (gemma3-270m): budgets hold, provenance is
recorded, and a weak model's unparsable replies come back as scored failures rather than exceptions."""

import pytest

from ragkit.chains.reasoning import (
    FewShotCoT,
    LeastToMost,
    ReasoningResult,
    SelectionInference,
    SelfConsistency,
    TreeOfThoughtChain,
    TreeOfThoughtSearch,
    ZeroShotCoT,
)

pytestmark = [pytest.mark.integration, pytest.mark.slow]

QUESTION = "Tom has 3 boxes with 4 apples in each and eats 2 apples. How many apples are left?"


@pytest.fixture(scope="module")
def gemma():
    from ragkit.models import ChatLlamaCpp

    return ChatLlamaCpp(model="gemma3-270m").load()


CASES = [
    ("zero-shot-cot", lambda llm: ZeroShotCoT(llm=llm, max_calls=2), QUESTION),
    ("few-shot-cot", lambda llm: FewShotCoT(llm=llm, max_calls=1), QUESTION),
    ("self-consistency", lambda llm: SelfConsistency(llm=llm, samples=3, max_calls=3), QUESTION),
    ("least-to-most", lambda llm: LeastToMost(llm=llm, max_subquestions=2, max_calls=3), QUESTION),
    ("selection-inference", lambda llm: SelectionInference(llm=llm, reasoning_steps=1, max_calls=3),
     {"question": "Is Alice taller than Carol?",
      "facts": ["Alice is taller than Bob.", "The sky is blue.", "Bob is taller than Carol."]}),
    ("tot-chain", lambda llm: TreeOfThoughtChain(llm=llm, solutions=2, deepen=1, max_calls=5),
     {"problem": "Our team often misses deadlines.", "factors": "cost, morale"}),
    ("tot-search", lambda llm: TreeOfThoughtSearch(llm=llm, k=2, breadth=1, depth=2, max_calls=6),
     "Make 24 from the numbers 4, 6 and 1."),
]


@pytest.mark.parametrize(("name", "make", "question"), CASES, ids=[c[0] for c in CASES])
def test_chain_runs_on_gemma(gemma, name, make, question):
    chain = make(gemma)
    result = chain.invoke(question)
    assert isinstance(result, ReasoningResult)
    assert 1 <= result.calls <= chain.max_calls
    assert result.calls == sum(r.output is not None for r in result.trace)
    assert result.prompts and all(len(p.sha256) == 64 for p in result.prompts)
    assert result.ok == (result.answer is not None)


async def test_async_chain_on_gemma(gemma):
    result = await SelfConsistency(llm=gemma, samples=2, max_calls=2).ainvoke(QUESTION)
    assert result.calls == 2 and sum(result.votes.values()) + result.failures == 2
