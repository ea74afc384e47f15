"""`ragkit eval reasoning`: reasoning techniques compared on a task, with accuracy, calls, tokens and seconds.

Two registries make it open to new tasks and techniques without touching the runner:

- A **task** (`tasks.Task` protocol) says how to read a file of problems (`load(path) -> list[Problem]`), what a
  technique's chain is invoked with (`inputs(problem) -> dict`) and whether an attempt is right
  (`score(problem, result) -> bool`). Register one with `TASKS["name"] = MyTask()`; `word-problems` (GSM8K-style
  JSONL, English or Chinese) and `facts` (multi-hop questions with their facts, `--task facts`) are built in, and `--game24 FILE` uses the task registered as `game24`.
- A **technique** (`techniques.Technique`) is a name, a description and `build(llm, setup)`, which returns the
  Runnable (usually a `ReasoningChain`) that turns a task's inputs into a `ReasoningResult`; it is built once per
  run. `setup` carries the seed, the few-shot pool and the prompts built over it. Register one with
  `register(Technique(...))`.

The runner (`runner.evaluate`) times each attempt, counts its model calls (`result.calls`) and the tokens the
model reports (LangChain usage metadata: llama.cpp's prompt and completion tokens), and appends each row to a
log so that a long evaluation resumes.
"""

from ragkit.eval.reasoning.facts import FactQuestions
from ragkit.eval.reasoning.game24 import Game24
from ragkit.eval.reasoning.runner import Row, Summary, evaluate, summarize, write_json
from ragkit.eval.reasoning.tasks import Problem, Task, WordProblems, same_answer
from ragkit.eval.reasoning.techniques import TECHNIQUES, Setup, Technique, register, technique

TASKS: dict[str, Task] = {"word-problems": WordProblems(), "facts": FactQuestions(), "game24": Game24()}
"""Tasks by name."""

__all__ = [
    "TASKS",
    "TECHNIQUES",
    "Problem",
    "Row",
    "Setup",
    "Summary",
    "Task",
    "Technique",
    "WordProblems",
    "evaluate",
    "register",
    "same_answer",
    "summarize",
    "technique",
    "write_json",
]
