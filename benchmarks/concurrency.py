"""Answers per second with 1, 2 and N concurrent askers, one run: the library (threads sharing one KnowledgeBase)
and `ragkit serve` (HTTP clients), on examples/kb, every question distinct (no cache hits).

Printed per level: answers, seconds, answers/s, the llama.cpp threads the answers report (Answer.timings; '?'
for a ragkit that does not report them) and how busy the cores were just before the level.
`--repo` runs another checkout's ragkit (the server too), e.g. the code before a change, for a before/after.

    PYTHONPATH=REPO .venv/bin/python benchmarks/concurrency.py [--mode library,serve] [--clients 1,2,4]
        [--answers 8] [--model gemma3-270m] [--max-tokens 48] [--repo REPO]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import psutil  # noqa: E402
from serve_load import KB, QUESTIONS, ensure_kb, free_port, process  # noqa: E402

Ask = Callable[[str], dict]
"""Ask one question; returns its timings."""
ENGLISH = [q for q in QUESTIONS if q.isascii()]
"""examples/kb is English: a Chinese question finds no passage there and never reaches the model."""


def distinct(i: int) -> str:
    """A question no earlier request asked (a cache miss)."""
    return f"{ENGLISH[i % len(ENGLISH)]} (#{i})"


def library_asker(model: str, max_tokens: int, folder: Path) -> Ask:
    from ragkit.kb import KnowledgeBase
    from ragkit.models import ChatLlamaCpp

    kb = KnowledgeBase(path=folder / "idx", llm=ChatLlamaCpp(model=model, max_tokens=max_tokens).load(), cache=False)
    kb.index([KB])
    return lambda question: kb.ask(question).timings


def server_asker(url: str, max_tokens: int) -> Ask:
    local = threading.local()

    def ask(question: str) -> dict:
        if not hasattr(local, "http"):
            local.http = httpx.Client(base_url=url, timeout=600)
        response = local.http.post("/v1/ask", json={"index": "docs", "question": question, "max_tokens": max_tokens})
        response.raise_for_status()
        return response.json()["timings"]

    return ask


def level(ask: Ask, clients: int, answers: int, start: int) -> tuple[float, list[str]]:
    """(seconds for `answers` distinct questions asked by `clients` at once, the threads each answer reports)."""
    questions = [distinct(start + i) for i in range(answers)]
    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        timings = list(pool.map(ask, questions))
    modelled = [t for t in timings if "decode_tokens" in t]  # retrieval found passages: the model answered
    return time.perf_counter() - started, [str(int(t["threads"])) if "threads" in t else "?" for t in modelled]


def run(name: str, ask: Ask, levels: list[int], answers: int) -> None:
    ask(distinct(10_000))  # warm-up: first-call allocations, the question embedder
    for number, clients in enumerate(levels):
        # psutil directly, not ragkit.models.cpu: the ragkit under test may predate it. This process idles here.
        busy = psutil.cpu_percent(interval=0.2) / 100 * (os.cpu_count() or 1)
        n = max(answers, clients)
        seconds, threads = level(ask, clients, n, 1000 * (number + 1))
        print(f"{name:8} clients {clients}: {n} answers in {seconds:6.1f} s = {n / seconds:5.2f} answers/s; "
              f"threads {','.join(sorted(set(threads)))}; cores busy before: {busy:.2f}",
              flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", default="library,serve")
    parser.add_argument("--clients", default="1,2,4")
    parser.add_argument("--answers", type=int, default=8, help="answers per level (at least one per client)")
    parser.add_argument("--model", default="gemma3-270m")
    parser.add_argument("--max-tokens", type=int, default=48)
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the checkout whose ragkit runs (default: this one)")
    args = parser.parse_args()
    levels = [int(n) for n in args.clients.split(",")]
    import ragkit

    print(f"ragkit from {Path(ragkit.__file__).parent}; model {args.model}, max_tokens {args.max_tokens}, "
          f"{os.cpu_count()} CPUs")
    with tempfile.TemporaryDirectory() as tmp:
        if "library" in args.mode:
            run("library", library_asker(args.model, args.max_tokens, Path(tmp)), levels, args.answers)
        if "serve" in args.mode:
            port = free_port()
            command = [sys.executable, "-m", "ragkit.cli", "serve", "--port", str(port), "--indexes",
                       str(Path(tmp) / "served"), "--model", args.model, "--preload"]
            with process(command, f"http://127.0.0.1:{port}/readyz", Path(tmp) / "serve.log",
                         {"PYTHONPATH": str(args.repo)}):
                ensure_kb(f"http://127.0.0.1:{port}")
                run("serve", server_asker(f"http://127.0.0.1:{port}", args.max_tokens), levels, args.answers)


if __name__ == "__main__":
    main()
