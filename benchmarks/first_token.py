"""Time to the first token of the second question, one run, in each way of asking from a shell on examples/kb:
  fresh    `ragkit ask` twice, each a new process (imports, embedder, index and model loaded each time)
  chat     `ragkit chat`: one process, the second question typed after the first was answered (a follow-up: it is
           first rewritten from the conversation, one more model call); chat-clear: the same after /clear (no rewrite)
  server   `ragkit ask` twice while a `ragkit serve` for the same indexes directory runs (found by its state file)
Seconds from starting the command (fresh, server) or sending the line (chat) to the answer's first byte, and to
the end of the answer. `--repo` runs another checkout's ragkit (fresh only, when it predates chat and the server
discovery), e.g. the code before a change.

    .venv/bin/python benchmarks/first_token.py [--modes fresh,chat,server] [--model qwen2.5-1.5b] [--repo REPO]
"""

from __future__ import annotations

import argparse
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from serve_load import free_port, process

QUESTIONS = ("How long must passwords be?", "How many days before departure must flights be booked?")
AFTER_CLEAR = "Within how long must a security incident be reported?"
KB = Path(__file__).resolve().parents[1] / "examples" / "kb"
PROMPT = b"\n> "


def read_until(proc: subprocess.Popen, marker: bytes | None, timeout_s: float = 600) -> tuple[float, float, bytes]:
    """(seconds to the first byte, seconds to `marker` or the end of output, the output), from now."""
    started, first, out = time.perf_counter(), None, b""
    fd = proc.stdout.fileno()  # type: ignore[union-attr]
    while marker is None or marker not in out:
        ready, _, _ = select.select([fd], [], [], timeout_s)
        chunk = os.read(fd, 4096) if ready else b""
        if not chunk:
            break
        first = first or time.perf_counter() - started
        out += chunk
    return first or 0.0, time.perf_counter() - started, out


def ragkit(args: list[str], env: dict[str, str], stdin: int | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ragkit.cli", *args], stdin=stdin, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, env=env)


def two_asks(env: dict[str, str], model: str, extra: list[str]) -> tuple[float, float]:
    """The second of two `ragkit ask` processes: (first byte, end)."""
    for question in QUESTIONS:
        proc = ragkit(["ask", question, "--index", "docs", "--model", model, *extra], env)
        first, end, _ = read_until(proc, None)
        proc.wait()
    return first, end


def chat(env: dict[str, str], model: str) -> dict[str, tuple[float, float]]:
    """The second question as a follow-up ('chat'), and a third after /clear ('chat-clear')."""
    proc = ragkit(["chat", "--index", "docs", "--model", model], env, stdin=subprocess.PIPE)
    assert proc.stdin is not None
    read_until(proc, PROMPT)
    times = {}
    for name, line in (("", QUESTIONS[0]), ("chat", QUESTIONS[1]), ("", "/clear"), ("chat-clear", AFTER_CLEAR)):
        proc.stdin.write(line.encode() + b"\n")
        proc.stdin.flush()
        first, end, _ = read_until(proc, PROMPT)
        if name:
            times[name] = (first, end)
    proc.stdin.write(b"/quit\n")
    proc.stdin.flush()
    proc.wait(60)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", default="fresh,chat,server")
    parser.add_argument("--model", default="qwen2.5-1.5b")
    parser.add_argument("--repo", type=Path, default=Path(__file__).resolve().parents[1])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RAGKIT_INDEXES": str(Path(tmp) / "indexes"), "HF_HUB_OFFLINE": "1",
               "PYTHONPATH": str(args.repo), "NO_COLOR": "1"}
        subprocess.run([sys.executable, "-m", "ragkit.cli", "index", str(KB), "--index", "docs"], env=env,
                       check=True, capture_output=True)
        print(f"ragkit from {args.repo}; model {args.model}; cores busy before: "
              f"{psutil.cpu_percent(interval=0.2) / 100 * (os.cpu_count() or 1):.2f} of {os.cpu_count()}")
        results = {}
        if "fresh" in args.modes:
            fresh = ["--no-server"] if (args.repo / "ragkit" / "cli_answer.py").exists() else []
            results["fresh"] = two_asks(env, args.model, fresh)
        if "chat" in args.modes:
            results.update(chat(env, args.model))
        if "server" in args.modes:
            port = free_port()
            command = [sys.executable, "-m", "ragkit.cli", "serve", "--port", str(port), "--model", args.model,
                       "--preload"]
            with process(command, f"http://127.0.0.1:{port}/readyz", Path(tmp) / "serve.log", env):
                results["server"] = two_asks(env, args.model, [])
        for mode, (first, end) in results.items():
            print(f"{mode:10} second question: first token {first:6.2f} s, answer done {end:6.2f} s")


if __name__ == "__main__":
    main()
