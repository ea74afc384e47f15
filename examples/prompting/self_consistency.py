"""Self-consistency: the greedy chain of thought plus four sampled ones (temperature 0.7), majority vote over their
parsed answers, on the default model (qwen2.5-1.5b)."""

from ragkit.chains.reasoning import SelfConsistency
from ragkit.models import ChatLlamaCpp

llm = ChatLlamaCpp(model="qwen2.5-1.5b")
chain = SelfConsistency(llm=llm, samples=5, temperature=0.7, max_calls=5)
result = chain.invoke("A farmer has 3 fields with 14 cows in each. He sells 9 cows and buys twice as many as he "
                      "sold. How many cows does he have now?")
print(f"model: {llm.model_name}")
print(f"samples (parsed answers): {result.samples}")
print(f"votes: {result.votes}, failures: {result.failures}")
print(f"answer: {result.answer!r} (right: 51), calls: {result.calls}/{result.max_calls}")
print(f"prompts: {[(p.id, p.version, p.sha256[:12]) for p in result.prompts]}")
