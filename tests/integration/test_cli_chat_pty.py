"""`ragkit chat` in a pseudo-terminal, as a user types: two questions, a follow-up, /quit, with the small Gemma
model answering (real embedder, index and llama.cpp); the stdlib pty module stands in for pexpect."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ragkit.kb import KnowledgeBase
from tests.helpers import EXAMPLES_KB, REPO

pytestmark = pytest.mark.integration
PROMPT = "\n> "


class Terminal:
    """A command on a pseudo-terminal: type lines, wait for text."""

    def __init__(self, argv: list[str], env: dict[str, str]):
        self.master, slave = pty.openpty()
        self.process = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO)
        os.close(slave)
        self.seen, self.at = "", 0

    def expect(self, text: str, timeout_s: float = 180.0) -> str:
        """Read until `text` appears after what was matched before; returns what came before it."""
        deadline = time.monotonic() + timeout_s
        while text not in self.seen[self.at:]:
            ready, _, _ = select.select([self.master], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise AssertionError(f"no {text!r} within {timeout_s} s; the terminal shows {self.seen[-800:]!r}")
            try:
                data = os.read(self.master, 4096)
            except OSError:  # the program exited and closed the terminal
                raise AssertionError(f"exited before {text!r}; the terminal shows {self.seen[-800:]!r}") from None
            self.seen += data.decode("utf-8", "replace").replace("\r\n", "\n")
        found = self.seen.index(text, self.at)
        before, self.at = self.seen[self.at:found], found + len(text)
        return before

    def type(self, line: str) -> None:
        os.write(self.master, line.encode() + b"\n")

    def close(self) -> int:
        code = self.process.wait(60)
        os.close(self.master)
        return code


def test_two_questions_a_follow_up_and_quit(tmp_path: Path) -> None:
    KnowledgeBase(path=tmp_path / "indexes" / "t").index([EXAMPLES_KB])
    env = {**os.environ, "RAGKIT_INDEXES": str(tmp_path / "indexes"), "HF_HUB_OFFLINE": "1", "TERM": "dumb",
           "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    chat = Terminal([sys.executable, "-m", "ragkit.cli", "chat", "--index", "t", "--model", "gemma3-270m",
                     "--max-tokens", "24"], env)
    try:
        assert "/sources" in chat.expect(PROMPT)
        for question in ("How long must passwords be?", "How many days before departure must flights be booked?",
                         "And hotels?"):
            chat.type(question)
            shown = chat.expect(PROMPT)
            assert "model: gemma3-270m" in shown, shown
        chat.type("/quit")
        assert chat.close() == 0
    finally:
        if chat.process.poll() is None:
            chat.process.kill()
