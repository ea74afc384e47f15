"""Least-to-most: decompose, then answer each subquestion with the answers before it (gemma3-270m)."""

from ragkit.chains.reasoning import LeastToMost
from ragkit.models import ChatLlamaCpp

llm = ChatLlamaCpp(model="gemma3-270m")
result = LeastToMost(llm=llm, max_subquestions=3, max_calls=4).invoke(
    "A farm has 3 pens with 5 sheep in each pen and sells 4 sheep. How many sheep are left?")
print(f"model: {llm.model_name}")
for step in result.subquestions:
    print(f"  Q: {step.question}\n  A: {step.answer}")
print(f"answer: {result.answer!r} (parsed: {result.ok}), calls: {result.calls}/{result.max_calls}")
print(f"prompts: {[(p.id, p.version, p.sha256[:12]) for p in result.prompts]}")
