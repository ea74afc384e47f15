"""Index the sample knowledge base and ask it questions through ragkit's Python API.

Run from the repository root: `python examples/quickstart.py [--model gemma3-270m]`.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ragkit import KnowledgeBase
from ragkit.models import ChatLlamaCpp

KB = Path(__file__).parent / "kb"
QUESTIONS = [
    "How long does the Lumen sensor battery last?",
    "What is the daily meal allowance when travelling?",
    "Within how many hours must a security incident be reported?",
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=None, help="preset name or .gguf path (default: ragkit's default preset)")
    args = parser.parse_args()

    kb = KnowledgeBase("quickstart", llm=ChatLlamaCpp(model=args.model))
    report = kb.index([KB])
    print(f"indexed {report.indexed_files} files, {report.chunks} chunks in {report.seconds:.1f} s")
    for question in QUESTIONS:
        answer = kb.ask(question)
        print(f"\nQ: {question}\nA: {answer.text}")
        for citation in answer.citations:
            print(f"   {citation.label()}")
        print(f"   model: {answer.model}, {answer.timings['total_s']:.1f} s")


if __name__ == "__main__":
    main()
