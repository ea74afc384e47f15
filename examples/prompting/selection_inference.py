"""Selection-inference over facts retrieved from a small FAISS store (MiniLM embeddings, qwen2.5-1.5b): two
steps, each choosing facts and inferring one new fact from only those, then the answer."""

from ragkit.chains.reasoning import SelectionInference
from ragkit.embeddings import SentenceTransformerEmbeddings
from ragkit.models import ChatLlamaCpp
from ragkit.store import AnnVectorStore

facts = ["Alice is taller than Bob.", "Bob is taller than Carol.", "Carol likes tea.", "Carol is taller than Dan.",
         "The office opens at 9."]
store = AnnVectorStore.from_texts(facts, SentenceTransformerEmbeddings(), ids=[f"fact-{i}" for i in range(5)])
llm = ChatLlamaCpp(model="qwen2.5-1.5b")
chain = SelectionInference(llm=llm, retriever=store.as_retriever(search_kwargs={"k": 4}), reasoning_steps=2,
                           max_calls=5)
result = chain.invoke("Is Alice taller than Dan?")
print(f"model: {llm.model_name}")
print(f"retrieved chunk ids: {result.chunk_ids}")
for step in result.steps_taken:
    print(f"  selected facts {step.selected} -> inferred: {step.inferred!r}")
print(f"answer: {result.answer!r} (parsed: {result.ok}), calls: {result.calls}/{result.max_calls}")
print(f"prompts: {[(p.id, p.version, p.sha256[:12]) for p in result.prompts]}")
