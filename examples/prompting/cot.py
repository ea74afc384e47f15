"""Zero-shot and few-shot chain-of-thought on the default model (qwen2.5-1.5b) with a GSM8K-style problem."""

from ragkit.chains.reasoning import FewShotCoT, ZeroShotCoT
from ragkit.models import ChatLlamaCpp

llm = ChatLlamaCpp(model="qwen2.5-1.5b")
question = ("A bakery bakes 4 trays of 12 muffins. It sells 30 muffins in the morning and half of the rest in the "
            "afternoon. How many muffins are left?")
for chain in (ZeroShotCoT(llm=llm, max_calls=2), FewShotCoT(llm=llm, max_calls=1)):
    result = chain.invoke(question)
    print(f"{type(chain).__name__} on {llm.model_name}")
    print(f"  reasoning: {result.reasoning!r}")
    print(f"  answer: {result.answer!r} (parsed: {result.ok}; right: 9), calls: {result.calls}/{result.max_calls}")
    print(f"  prompts: {[(p.id, p.version, p.sha256[:12]) for p in result.prompts]}")
