"""Load on `ragkit serve` and on a peer serving the same model, one run: N concurrent clients for T seconds.

For each model (the fast preset and the default one): the real ragkit server (uvicorn in a subprocess on a free
loopback port, a knowledge base of examples/kb) takes N clients asking distinct questions for T seconds
(throughput, p50/p95 latency, errors, 503s counted apart), then N clients repeating a small question set for T/3
seconds (with the answer cache those are hits, measured apart; without one they are ordinary answers). The peer
takes the same load: llama-cpp-python's own OpenAI server (`python -m llama_cpp.server`, one context as ragkit's
one worker) given the same retrieved passages in the prompt, else (its [server] extras missing) a plain FastAPI +
LangChain app (LangChain FAISS, stuffed documents, ChatLlamaCpp from langchain_community) on the same GGUF.

    .venv/bin/python benchmarks/serve_load.py [--clients 8] [--seconds 60] [--models gemma3-270m,qwen2.5-1.5b]
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

os.environ.setdefault("HF_HUB_OFFLINE", "1")

from ragkit.models.presets import DEFAULT_PRESET, FAST_PRESET, resolve_model  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
KB = REPO / "examples" / "kb"
QUESTIONS = [
    "What is the hotel cap in capital cities?",
    "How long must passwords be?",
    "Within how long must a security incident be reported?",
    "What does version 3.2 of the app add?",
    "When is the laptop handed over to a new employee?",
    "What kind of second factor must company accounts use?",
    "差旅政策规定首都城市的酒店上限是多少？",
    "密码至少要多长？",
]
MAX_TOKENS = 64
PEER_PROMPT = ("Answer the question from the passages only, citing them as [n].\n\nPassages:\n{context}\n\n"
               "Question: {question}\nAnswer:")

Send = Callable[[httpx.AsyncClient, str], Awaitable[tuple[int, bool]]]
"""Ask one question: (HTTP status, whether the answer came from a cache)."""


@dataclass
class Stats:
    latencies: list[float] = field(default_factory=list)
    hits: list[float] = field(default_factory=list)
    errors: int = 0
    """Failures other than the two below: must be 0."""
    refused: int = 0
    """503 + Retry-After: the queue was full (deliberate)."""
    timeouts: int = 0
    """504: an answer queued and generated past the server's request timeout (overload, not a failure)."""
    seconds: float = 0.0

    def line(self, name: str) -> str:
        if not self.latencies:
            return (f"{name:<40} no answer in {self.seconds:.0f} s (errors {self.errors}, 503s {self.refused}, "
                    f"504s {self.timeouts})")
        return (f"{name:<40} {len(self.latencies) / self.seconds:6.3f} answers/s  p50 {pct(self.latencies, 50):6.2f} s"
                f"  p95 {pct(self.latencies, 95):6.2f} s  answers {len(self.latencies):4d}  errors {self.errors}"
                f"  503s {self.refused}  504s {self.timeouts}")


def pct(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def load(send: Send, clients: int, seconds: float, questions: Callable[[int], str]) -> Stats:
    """`clients` clients asking back to back for `seconds`; answers that end after the deadline still count."""
    stats, counter = Stats(), iter(range(10**9))
    deadline = time.perf_counter() + seconds
    started = time.perf_counter()

    async def client(http: httpx.AsyncClient) -> None:
        while time.perf_counter() < deadline:
            question = questions(next(counter))
            begun = time.perf_counter()
            try:
                status, hit = await send(http, question)
            except httpx.HTTPError:
                status, hit = 0, False
            took = time.perf_counter() - begun
            if status == 200:
                (stats.hits if hit else stats.latencies).append(took)
            elif status == 503:
                stats.refused += 1
                await asyncio.sleep(1)
            elif status == 504:
                stats.timeouts += 1
            else:
                stats.errors += 1

    async with httpx.AsyncClient(timeout=900, limits=httpx.Limits(max_connections=clients)) as http:
        await asyncio.gather(*(client(http) for _ in range(clients)))
    stats.seconds = time.perf_counter() - started
    return stats


def distinct(i: int) -> str:
    """A question no earlier request asked (a cache miss)."""
    return f"{QUESTIONS[i % len(QUESTIONS)]} (#{i})"


def repeated(i: int) -> str:
    return QUESTIONS[i % 4]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def process(command: list[str], ready_url: str, log: Path, env: dict[str, str] | None = None,
            timeout_s: float = 600) -> Iterator[None]:
    """Run a server until the block ends; waits until `ready_url` answers 200."""
    with log.open("w") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})},
                                cwd=REPO)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise SystemExit(f"{command[2:5]} exited with {proc.returncode}; see {log}")
            try:
                if httpx.get(ready_url, timeout=5).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"{ready_url} not ready after {timeout_s:.0f} s; see {log}")
            time.sleep(1)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()


def is_hit(answer: dict) -> bool:
    """Whether the answer cache served it (the cache's mark, under whichever key it lands)."""
    timings = answer.get("timings") or {}
    return bool(answer.get("cached") or answer.get("cache_hit") or timings.get("cache_hit")
                or (answer.get("cache") or {}).get("hit"))


def ragkit_server(model: str, indexes: Path, port: int, log: Path) -> AbstractContextManager[None]:
    command = [sys.executable, "-m", "ragkit.cli", "serve", "--port", str(port), "--indexes", str(indexes),
               "--model", model, "--preload", "--workers", "1", "--queue", "8"]
    return process(command, f"http://127.0.0.1:{port}/readyz", log, {"PYTHONPATH": str(REPO)})


def ensure_kb(url: str) -> None:
    """Knowledge base 'docs' of examples/kb (kept across models: it does not depend on the answering model)."""
    with httpx.Client(base_url=url, timeout=600) as http:
        if "docs" in http.get("/v1/kbs").json():
            return
        http.post("/v1/kbs", json={"name": "docs"}).raise_for_status()
        files = [("files", (p.name, p.read_bytes())) for p in sorted(KB.iterdir())]
        job = http.post("/v1/kbs/docs/files", files=files).json()
        while job["status"] not in ("done", "failed"):
            time.sleep(0.5)
            job = http.get(f"/v1/jobs/{job['id']}").json()
        if job["status"] != "done":
            raise SystemExit(f"indexing examples/kb failed: {job}")


def ragkit_send(url: str) -> Send:
    async def send(http: httpx.AsyncClient, question: str) -> tuple[int, bool]:
        response = await http.post(f"{url}/v1/ask", json={"index": "docs", "question": question,
                                                          "max_tokens": MAX_TOKENS})
        return response.status_code, response.status_code == 200 and is_hit(response.json())

    return send


def peer_prompts(url: str) -> dict[str, str]:
    """The peer's prompt for each question: ragkit's retrieved passages stuffed in (retrieval is not timed)."""
    prompts = {}
    with httpx.Client(base_url=url, timeout=900) as http:
        for question in QUESTIONS:
            answer = http.post("/v1/ask", json={"index": "docs", "question": question, "max_tokens": 1}).json()
            context = "\n".join(f"[{p['n']}] ({p['source']}) {p['text']}" for p in answer["passages"])
            prompts[question] = PEER_PROMPT.format(context=context, question=question)
    return prompts


def llama_server_send(url: str, prompts: dict[str, str]) -> Send:
    async def send(http: httpx.AsyncClient, question: str) -> tuple[int, bool]:
        base = question.rsplit(" (#", 1)[0]
        response = await http.post(f"{url}/v1/chat/completions", json={
            "messages": [{"role": "user", "content": prompts[base].replace(base, question)}],
            "max_tokens": MAX_TOKENS, "temperature": 0})
        return response.status_code, False

    return send


def llama_server_runnable() -> str | None:
    """Why llama_cpp.server cannot run here, or None when it can."""
    missing = [m for m in ("starlette_context", "pydantic_settings", "sse_starlette", "fastapi", "uvicorn")
               if importlib.util.find_spec(m) is None]
    return f"llama_cpp.server needs {', '.join(missing)} (pip install 'llama-cpp-python[server]')" if missing else None


@contextmanager
def peer_server(model: str, port: int, log: Path) -> Iterator[str]:
    """llama_cpp.server on the model's GGUF, else the LangChain app of benchmarks/serve_load_peer.py."""
    gguf = str(resolve_model(model).path)
    reason = llama_server_runnable()
    if reason is None:
        command = [sys.executable, "-m", "llama_cpp.server", "--model", gguf, "--port", str(port),
                   "--host", "127.0.0.1", "--n_ctx", "4096", "--verbose", "False"]
        with process(command, f"http://127.0.0.1:{port}/v1/models", log):
            yield "llama-cpp-python server"
        return
    print(f"  peer: {reason}; using FastAPI + LangChain instead")
    command = [sys.executable, str(REPO / "benchmarks" / "serve_load_peer.py"), "--model", gguf, "--port", str(port)]
    with process(command, f"http://127.0.0.1:{port}/healthz", log, {"PYTHONPATH": str(REPO)}):
        yield "FastAPI + LangChain"


def peer_app_send(url: str) -> Send:
    async def send(http: httpx.AsyncClient, question: str) -> tuple[int, bool]:
        response = await http.post(f"{url}/ask", json={"question": question, "max_tokens": MAX_TOKENS})
        return response.status_code, False

    return send


def bench(model: str, clients: int, seconds: float, indexes: Path, logs: Path) -> None:
    print(f"\n== {model}: {clients} clients, {seconds:.0f} s a phase")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with ragkit_server(model, indexes, port, logs / f"ragkit-{model}.log"):
        ensure_kb(url)
        prompts = peer_prompts(url)  # also warms the model
        ours = asyncio.run(load(ragkit_send(url), clients, seconds, distinct))
        print(ours.line("ragkit serve (distinct questions)"))
        again = asyncio.run(load(ragkit_send(url), clients, max(seconds / 3, 5), repeated))
        if again.hits:
            print(f"{'ragkit serve (cache hits)':<40} p50 {pct(again.hits, 50):.3f} s  p95 {pct(again.hits, 95):.3f} s"
                  f"  hits {len(again.hits)}  misses {len(again.latencies)}")
        else:
            print(again.line("ragkit serve (repeated, no cache)"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with peer_server(model, port, logs / f"peer-{model}.log") as name:
        send = llama_server_send(url, prompts) if name.startswith("llama") else peer_app_send(url)
        asyncio.run(load(send, 1, 0, repeated))  # warm-up: one answer
        theirs = asyncio.run(load(send, clients, seconds, distinct))
        print(theirs.line(f"{name} (distinct questions)"))
    if ours.latencies and theirs.latencies:
        print(f"ratios ragkit/peer: throughput {len(ours.latencies) / ours.seconds / (len(theirs.latencies) / theirs.seconds):.2f}x"
              f"  p50 {pct(ours.latencies, 50) / pct(theirs.latencies, 50):.2f}x"
              f"  p95 {pct(ours.latencies, 95) / pct(theirs.latencies, 95):.2f}x (latency: lower is better)")
    if again.hits and ours.latencies:
        print(f"cache hit p50 vs miss p50: {pct(ours.latencies, 50) / pct(again.hits, 50):.0f}x faster")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--models", default=f"{FAST_PRESET},{DEFAULT_PRESET}", help="Comma-separated presets.")
    args = parser.parse_args()
    print(f"load average before: {os.getloadavg()[0]:.2f} (1 min), {os.cpu_count()} cores")
    logs = Path(tempfile.mkdtemp(prefix="serve-load-"))
    print(f"server logs and indexes in {logs}")
    for model in args.models.split(","):
        bench(model, args.clients, args.seconds, logs / "indexes", logs)
        print(f"load average: {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
