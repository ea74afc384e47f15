"""SQLite files beside an index, safe across threads and processes: one short connection per operation, WAL."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path

BUSY_TIMEOUT_S = 30.0
"""How long a writer waits for another one (thread or process) before giving up."""


class SqliteFile:
    """A database file whose schema is created on first use; `transaction()` opens, commits and closes."""

    def __init__(self, path: Path, schema: str):
        self.path = path
        self._schema = schema
        self._ready = False
        self._lock = threading.Lock()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A connection inside one transaction (committed on success, rolled back on error), closed after."""
        self._create()
        with closing(self._connect()) as db, db:
            yield db

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S)
        db.row_factory = sqlite3.Row
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
