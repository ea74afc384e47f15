"""Tree-of-Thoughts, four-stage chain: generate 3 solutions, evaluate each, deepen the best, rank (gemma3-270m)."""

from ragkit.chains.reasoning import TreeOfThoughtChain
from ragkit.models import ChatLlamaCpp

llm = ChatLlamaCpp(model="gemma3-270m")
chain = TreeOfThoughtChain(llm=llm, solutions=3, deepen=1, max_calls=6)
result = chain.invoke({"problem": "Our small team often misses release deadlines.", "factors": "cost, morale"})
print(f"model: {llm.model_name}")
for s in result.solutions:
    print(f"  {s.number}. {s.text!r} score={s.score} deepened={s.deepened is not None}")
print(f"ranking: {result.ranking} (parsed: {result.ranking_parsed})")
print(f"answer: {result.answer!r}, calls: {result.calls}/{result.max_calls}")
print(f"prompts: {[(p.id, p.version) for p in result.prompts]}")
