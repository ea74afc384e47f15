"""Self-consistency: five sampled chains of thought, majority vote over their parsed answers (gemma3-270m)."""

from ragkit.chains.reasoning import SelfConsistency
from ragkit.models import ChatLlamaCpp

llm = ChatLlamaCpp(model="gemma3-270m")
chain = SelfConsistency(llm=llm, samples=5, temperature=0.8, max_calls=5)
result = chain.invoke("There are 3 boxes with 5 pens in each box. How many pens are there in total?")
print(f"model: {llm.model_name}")
print(f"samples (parsed answers): {result.samples}")
print(f"votes: {result.votes}, failures: {result.failures}")
print(f"answer: {result.answer!r}, calls: {result.calls}/{result.max_calls}")
print(f"prompts: {[(p.id, p.version, p.sha256[:12]) for p in result.prompts]}")
