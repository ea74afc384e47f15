"""Least-to-most: decompose, then answer each subquestion with the answers before it (qwen2.5-1.5b, the default
model)."""

from ragkit.chains.reasoning import LeastToMost
from ragkit.models import ChatLlamaCpp

llm = ChatLlamaCpp(model="qwen2.5-1.5b")
result = LeastToMost(llm=llm, max_subquestions=3, max_calls=4).invoke(
    "A farm has 3 pens with 5 sheep in each pen. It buys 7 more sheep and then sells 4. How many sheep are left?")
print(f"model: {llm.model_name}")
for step in result.subquestions:
    print(f"  Q: {step.question}\n  A: {step.answer}")
print(f"answer: {result.answer!r} (parsed: {result.ok}), calls: {result.calls}/{result.max_calls}")
print(f"prompts: {[(p.id, p.version, p.sha256[:12]) for p in result.prompts]}")
