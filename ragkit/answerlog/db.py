"""SQLite files beside an index, safe across threads and processes: one connection per thread (and process), WAL."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another one (thread or process) before giving up."""


class SqliteFile:
    """A database file whose schema is created on first use; `transaction()` is one committed transaction.

    Connections stay open per thread: closing the last one checkpoints the WAL, which costs more than the query.
    """

    def __init__(self, path: Path, schema: str):
        self.path = path
        self._schema = schema
        self._ready = False
        self._lock = threading.Lock()
        self._local = threading.local()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection inside one transaction (committed on success, rolled back on error)."""
        db = self._connection()
        with db:
            yield db

    def _connection(self) -> sqlite3.Connection:
        if getattr(self._local, "pid", None) != os.getpid():  # a new thread, or a forked child
            self._create()
            self._local.db, self._local.pid = self._connect(), os.getpid()
        return self._local.db

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        db.row_factory = sqlite3.Row
        db.execute("PRAGMA synchronous=NORMAL")  # with WAL: no fsync per commit; a cache and a log may lose the last
        return db

    def _create(self) -> None:
        with self._lock:
            if self._ready:
                return
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with closing(self._connect()) as db:
                db.execute("PRAGMA journal_mode=WAL")  # readers never wait for the writer; kept by the file
                with db:
                    db.executescript(self._schema)
            self._ready = True
