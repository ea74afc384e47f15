"""load_file within a time and memory budget: each file is read in a child process, so a file that would take
minutes or gigabytes (an Office or PDF bomb that passes guard.py's static checks, a parser stuck in a loop) becomes a
skip with a reason instead of a swollen or hung indexer, server or app.

A reader server (`python -m ragkit.ingest.reader`, started once per concurrent caller and then kept idle for the
next file) imports the loaders once and forks a child per file, so a file costs a fork (milliseconds), not a
Python start-up, and the child inherits none of the caller's threads (torch, uvicorn). The child caps its data
segment (RLIMIT_DATA: the heap and anonymous maps a parser's trees grow in) at what it inherited plus the budget and reports OCR'd pages as it goes; the
caller kills it when no page or result came for `seconds`. Written by hand because multiprocessing's forkserver
re-runs the caller's main script in every child. Plain-text formats (their cost is their size, which uploads
cap), loaders defined in `__main__` (the server cannot import them) and systems without fork read in the caller.
"""

from __future__ import annotations

import atexit
import os
import signal
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from ragkit.errors import SkipFile
from ragkit.ingest.loaders import load_file
from ragkit.ingest.page import Page
from ragkit.ingest.registry import DEFAULT_LOADERS, LoaderRegistry
from ragkit.ingest.scan import current_ocr, ocr_context
from ragkit.settings import ReaderBudget

IN_PROCESS = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".csv"})
"""Suffixes read in the caller."""
PRELOAD = ("ragkit.ingest.formats", "docx", "openpyxl", "pptx", "pypdf", "pdfplumber", "pypdfium2")
"""Modules a reader server imports before its first fork (missing ones are skipped)."""
MAX_IDLE = 4
"""Idle reader servers kept for the next files (each ~90 MB); more are closed when they finish."""
IDLE_S = 120.0
"""Seconds an idle reader server is kept (a long-running server or app does not hold them between uploads)."""
START_WAIT_S = 120.0
"""How long a new reader server may take to import its modules (not counted against a file's budget)."""
EXIT_WAIT_S = 30.0
"""How long a killed child's exit is waited for before its server is given up."""


def load_within(path: Path, budget: ReaderBudget | None, loaders: LoaderRegistry | None = None) -> list[Page]:
    """load_file(path, loaders) in a child process within `budget` (None: in this process); the OCR cache, progress
    and page limit of the caller's ocr_context apply in the child too."""
    loader = (DEFAULT_LOADERS if loaders is None else loaders).loader_for(path)
    if (budget is None or path.suffix.lower() in IN_PROCESS or loader.__module__ == "__main__"
            or not hasattr(os, "fork")):
        return load_file(path, loaders)
    cache, progress, limit = current_ocr()
    request = (path, LoaderRegistry({(path.suffix,): loader}), cache, progress is not None, limit, budget.memory_mb)
    server = _Server.acquire()
    healthy = False
    try:
        outcome = server.read(request, budget, progress)
        healthy = True
    except (EOFError, OSError) as exc:
        raise SkipFile(f"the reader server failed ({type(exc).__name__}: {exc})") from exc
    finally:
        server.release(healthy)
    if isinstance(outcome, list):
        return outcome
    raise SkipFile(outcome)


class _Server:
    """One reader server process and the two pipes to it; read() runs one file through it."""

    _idle: list[_Server] = []
    _lock = threading.Lock()
    _reaper: threading.Timer | None = None

    def __init__(self) -> None:
        to_server, self._from_us = os.pipe()
        self._to_us, from_server = os.pipe()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "ragkit.ingest.reader", str(to_server), str(from_server)],
            pass_fds=(to_server, from_server), stdin=subprocess.DEVNULL, close_fds=True,
            env={**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)})  # the caller's modules
        os.close(to_server)
        os.close(from_server)
        self._requests = Connection(self._from_us, readable=False)
        self._replies = Connection(self._to_us, writable=False)
        self._owner, self._used = os.getpid(), time.monotonic()
        if not self._replies.poll(START_WAIT_S) or self._replies.recv() != ("ready", None):
            self.close()
            raise OSError(f"the reader server did not start within {START_WAIT_S:g} s")

    @classmethod
    def acquire(cls) -> _Server:
        """An idle server of this process (a forked copy of the caller must not share one), else a new one."""
        with cls._lock:
            cls._idle = [server for server in cls._idle if server._owner == os.getpid()]
            if cls._idle:
                return cls._idle.pop()
        return cls()

    def release(self, healthy: bool) -> None:
        """Keep this server for the next file, or close it (after a failure, or beyond MAX_IDLE); idle ones are
        closed after IDLE_S."""
        self._used = time.monotonic()
        with self._lock:
            if healthy and len(self._idle) < MAX_IDLE:
                self._idle.append(self)
                self._reap_later()
                return
        self.close()

    def read(self, request: tuple, budget: ReaderBudget, progress: Any) -> list[Page] | str:
        """The pages of one file, or the reason it was skipped; raises EOFError/OSError when the server is broken."""
        self._requests.send(request)
        child = 0
        outcome: list[Page] | str | None = None
        while True:
            if not self._replies.poll(budget.seconds if outcome is None else EXIT_WAIT_S):
                if outcome is not None or not child:
                    raise EOFError("the reader server stopped answering")
                os.kill(child, signal.SIGKILL)
                outcome = (f"took more than {budget.seconds:g} s without finishing a page: stopped (the reader's "
                           "time budget, IndexSettings.reader)")
                continue
            kind, value = self._replies.recv()
            if kind == "child":
                child = value
            elif kind == "page":
                if progress is not None:
                    progress(*value)
            elif kind == "exit":
                return outcome if outcome is not None else _death(value, budget.memory_mb)
            elif outcome is None:  # 'pages' or 'skip'
                outcome = list(value) if kind == "pages" else str(value)

    def close(self) -> None:
        for connection in (self._requests, self._replies):
            connection.close()
        try:
            self._process.wait(timeout=5)  # the server exits when its request pipe closes
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()

    @classmethod
    def _reap_later(cls) -> None:
        """Arm the one timer that closes servers idle for IDLE_S (called under the lock)."""
        if cls._reaper is None:
            cls._reaper = threading.Timer(IDLE_S, cls._reap)
            cls._reaper.daemon = True
            cls._reaper.start()

    @classmethod
    def _reap(cls) -> None:
        with cls._lock:
            cls._reaper = None
        cls.close_idle(IDLE_S)
        with cls._lock:
            if cls._idle:
                cls._reap_later()

    @classmethod
    def close_idle(cls, older_than: float = 0.0) -> None:
        """Close the idle servers unused for older_than seconds (all of them at exit)."""
        now = time.monotonic()
        with cls._lock:
            old = [server for server in cls._idle if now - server._used >= older_than]
            cls._idle = [server for server in cls._idle if server not in old]
            if not cls._idle and cls._reaper is not None:  # nothing left to reap
                cls._reaper.cancel()
                cls._reaper = None
        for server in old:
            server.close()


atexit.register(_Server.close_idle)


def _death(status: int, memory_mb: int) -> str:
    """The skip reason for a child that ended without a result (a C parser aborts where Python raises)."""
    if status < 0:
        return (f"the reader process died ({signal.Signals(-status).name}) reading it, likely over its memory budget "
                f"of {memory_mb:,} MB (IndexSettings.reader)")
    return f"the reader process exited ({status}) without reading it"


def _data_bytes() -> int:
    """This process's data segment now (Linux: VmData), what RLIMIT_DATA is compared with; 0 where unknown."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) << 10 for line in status.splitlines() if line.startswith("VmData:")), 0)


def _over_memory(memory_mb: int) -> str:
    return (f"needs more than {memory_mb:,} MB of memory to read: stopped (the reader's memory budget, "
            "IndexSettings.reader)")


def serve(requests: Connection, replies: Connection) -> None:
    """The reader server: per request, fork a child that reads the file and sends ('page', ...) reports and one
    ('pages', pages) or ('skip', reason); then send ('exit', status). The child waits for its pid to be sent
    first, so the two never write to the pipe at once."""
    from importlib import import_module

    for name in PRELOAD:
        try:
            import_module(name)
        except ImportError:
            continue
    replies.send(("ready", None))
    while True:
        try:
            request = requests.recv()
        except EOFError:
            return
        go_read, go_write = os.pipe()
        child = os.fork()
        if child == 0:
            os.close(go_write)
            os.read(go_read, 1)
            try:
                _read(replies, *request)
            finally:
                os._exit(0)
        os.close(go_read)
        replies.send(("child", child))
        os.write(go_write, b"x")
        os.close(go_write)
        _, status = os.waitpid(child, 0)
        replies.send(("exit", -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)))


def _read(replies: Connection, path: Path, loaders: LoaderRegistry, cache: str | None, report: bool,
          limit: int | None, memory_mb: int) -> None:
    """The child: cap the memory it may add to what it inherited, then load within the caller's OCR context."""
    import resource

    _, hard = resource.getrlimit(resource.RLIMIT_DATA)
    wanted = _data_bytes() + (memory_mb << 20)
    resource.setrlimit(resource.RLIMIT_DATA, (wanted if hard == resource.RLIM_INFINITY else min(wanted, hard), hard))

    def page(file: str, done: int, total: int) -> None:
        replies.send(("page", (file, done, total)))

    try:
        with ocr_context(cache, page if report else None, limit):
            pages = load_file(path, loaders)
        replies.send(("pages", pages))
    except MemoryError:
        replies.send(("skip", _over_memory(memory_mb)))
    except SkipFile as exc:
        replies.send(("skip", _over_memory(memory_mb) if isinstance(exc.__cause__, MemoryError) else str(exc)))
    except Exception as exc:  # noqa: BLE001 - a loader's own bug skips this file instead of ending the run
        replies.send(("skip", f"cannot be read ({type(exc).__name__}: {str(exc)[:200]})"))


if __name__ == "__main__":
    serve(Connection(int(sys.argv[1]), writable=False), Connection(int(sys.argv[2]), readable=False))
