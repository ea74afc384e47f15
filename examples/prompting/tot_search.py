"""Tree-of-Thoughts on Game of 24, the task Yao et al. built it for (qwen2.5-1.5b, the default model): the model
proposes next steps and values the numbers they leave (trying some arithmetic first); ragkit checks each step
exactly, prunes wrong ones without a model call, takes a tried line that makes 24 from the numbers left as the rest
of the solution, keeps the best 3 states per level, and checks the expression the steps build. Prints the tree."""

import sys

from ragkit.chains.reasoning import Game24Search, game24
from ragkit.models import ChatLlamaCpp

puzzle = sys.argv[1] if len(sys.argv) > 1 else "3 4 4 8"
llm = ChatLlamaCpp(model="qwen2.5-1.5b")
result = Game24Search(llm=llm, breadth=3, max_calls=40).invoke(puzzle)
print(f"model: {llm.model_name}, puzzle: {puzzle}")
for node in result.tree:
    mark = f"pruned: {node.pruned}" if node.pruned else ("kept" if node.kept else "not kept")
    score = "" if node.score is None else f" value={node.score:g}"
    print(f"  {'  ' * (node.depth - 1)}[{node.id}] {node.thought}{score} ({mark})")
print(f"steps: {result.best_path}")
verdict = game24.check(game24.parse_puzzle(puzzle), result.answer)
print(f"answer: {result.answer} ({verdict.reason}), calls: {result.calls}/{result.max_calls}")
