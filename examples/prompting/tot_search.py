"""Tree-of-Thoughts breadth-first search with a beam: propose k=3 thoughts per state, value each, keep b=2,
depth 2 (gemma3-270m). Prints the whole search tree."""

from ragkit.chains.reasoning import TreeOfThoughtSearch
from ragkit.models import ChatLlamaCpp

llm = ChatLlamaCpp(model="gemma3-270m")
chain = TreeOfThoughtSearch(llm=llm, k=3, breadth=2, depth=2, generate="propose", evaluate="value", max_calls=12)
result = chain.invoke("Make 24 from the numbers 4, 6 and 1.")
print(f"model: {llm.model_name}")
for node in result.tree:
    mark = "kept" if node.kept else "pruned"
    print(f"  {'  ' * (node.depth - 1)}[{node.id}] parent={node.parent} {node.thought!r} score={node.score} {mark}")
print(f"best path: {result.best_path}")
print(f"answer: {result.answer!r}, calls: {result.calls}/{result.max_calls}, budget exhausted: "
      f"{result.budget_exhausted}")
