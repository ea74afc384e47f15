"""A repeated question: ragkit's answer cache against LangChain's own cache (`set_llm_cache(SQLiteCache)`) on the
same model and retriever, in one run.

Each question of examples/kb is asked three times: fresh (a miss for both), again word for word, and again in
another case and spacing. LangChain's cache is keyed by the exact prompt text, so its repeat still retrieves and
builds the prompt, and the variant is a model call; ragkit's key is the normalized question on the index version,
so both repeats are one SQLite lookup. The misses are shown for scale only (the side asking second reuses the
first one's prompt prefix in llama.cpp, so the order alternates).

    .venv/bin/python benchmarks/answer_cache.py [--model gemma3-270m] [--max-tokens 64]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ["How many days before departure must flights be booked?", "What is the hotel cap in capital cities?",
             "How long must passwords be?", "What is the battery life of the Lumen sensor?"]


def variant(question: str) -> str:
    """The same question in another case and spacing."""
    return "  " + question.upper().replace(" ", "  ")


def timed(ask: Callable[[str], object], question: str) -> float:
    started = time.perf_counter()
    ask(question)
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="gemma3-270m", help="preset or .gguf path")
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")

    from langchain_community.cache import SQLiteCache
    from langchain_core.globals import set_llm_cache
    from langchain_core.output_parsers import StrOutputParser
    from langchain_core.runnables import RunnableLambda

    from ragkit.chains.citations import format_passages
    from ragkit.kb import KnowledgeBase
    from ragkit.models import ChatLlamaCpp
    from ragkit.prompts import load as load_prompt

    with tempfile.TemporaryDirectory() as tmp:
        llm = ChatLlamaCpp(model=args.model, max_tokens=args.max_tokens)
        kb = KnowledgeBase(path=Path(tmp) / "kb", llm=llm)
        kb.index([ROOT / "examples" / "kb"])
        rag = kb.chain()  # the same retriever and prompt, composed the way a LangChain user would
        peer_chain = ({"context": RunnableLambda(lambda q: format_passages(rag.retrieve(q), False)),
                       "question": lambda q: q} | load_prompt("rag-answer")
                      | llm.bind(max_tokens=args.max_tokens) | StrOutputParser())
        set_llm_cache(SQLiteCache(database_path=str(Path(tmp) / "langchain.sqlite")))
        sides = {"ragkit": lambda q: kb.ask(q, max_tokens=args.max_tokens), "langchain": peer_chain.invoke}
        rows: dict[str, dict[str, list[float]]] = {name: {"miss": [], "repeat": [], "variant": []} for name in sides}
        llm.invoke("Hello")  # load the model before anything is timed
        for n, question in enumerate(QUESTIONS):
            # A miss leaves its prompt in llama.cpp's prefix cache, which speeds up the other side's miss: alternate.
            for name, ask in sorted(sides.items(), reverse=n % 2 == 1):
                rows[name]["miss"].append(timed(ask, question))
                rows[name]["repeat"].append(timed(ask, question))
                rows[name]["variant"].append(timed(ask, variant(question)))
        set_llm_cache(None)
    print(f"{len(QUESTIONS)} questions, model {args.model}, max_tokens {args.max_tokens}; mean seconds")
    print(f"{'':10} {'miss':>9} {'repeat':>9} {'variant':>9}")
    for name, times in rows.items():
        print(f"{name:10} " + " ".join(f"{statistics.mean(times[k]):9.4f}" for k in ("miss", "repeat", "variant")))
    for kind in ("repeat", "variant"):
        ratio = statistics.mean(rows["langchain"][kind]) / statistics.mean(rows["ragkit"][kind])
        print(f"{kind}: ragkit {ratio:.0f}x faster than LangChain's cache")


if __name__ == "__main__":
    main()
