"""Zero-shot and few-shot chain-of-thought on the packaged fast model (gemma3-270m, a 270M base model)."""

from ragkit.chains.reasoning import FewShotCoT, ZeroShotCoT
from ragkit.models import ChatLlamaCpp

llm = ChatLlamaCpp(model="gemma3-270m")
question = "A shop sells pens at $2 each. How much do 4 pens cost?"
for chain in (ZeroShotCoT(llm=llm, max_calls=2), FewShotCoT(llm=llm, max_calls=1)):
    result = chain.invoke(question)
    print(f"{type(chain).__name__} on {llm.model_name}")
    print(f"  reasoning: {result.reasoning!r}")
    print(f"  answer: {result.answer!r} (parsed: {result.ok}), calls: {result.calls}/{result.max_calls}")
    print(f"  prompts: {[(p.id, p.version, p.sha256[:12]) for p in result.prompts]}")
