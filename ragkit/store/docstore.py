"""SQLite document store: chunk text, metadata (JSON), source and the int64 row id used in FAISS.

The working copy lives in memory; `save_to` writes a consistent file with SQLite's backup API.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ragkit.errors import IndexFormatError

_SCHEMA = """
CREATE TABLE IF NOT EXISTS docs (
    row INTEGER PRIMARY KEY, id TEXT UNIQUE NOT NULL, text TEXT NOT NULL, metadata TEXT NOT NULL, source TEXT
);
CREATE INDEX IF NOT EXISTS docs_source ON docs (source);
CREATE TABLE IF NOT EXISTS sources (source TEXT PRIMARY KEY, file_hash TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tombstones (row INTEGER PRIMARY KEY);
"""
_COLUMNS = {"docs": ["row", "id", "text", "metadata", "source"], "sources": ["source", "file_hash"],
            "tombstones": ["row"]}
_BAD_ROWS = {  # json_type fails on metadata that is not JSON: check() turns that into ValueError too
    "chunks with a wrong type, metadata that is not an object or a source that is not their metadata's":
        "SELECT COUNT(*) FROM docs WHERE typeof(id) != 'text' OR typeof(text) != 'text' OR typeof(metadata) != 'text'"
        " OR json_type(metadata) != 'object' OR source IS NOT metadata ->> '$.source'",
    "sources with a wrong type": "SELECT COUNT(*) FROM sources WHERE typeof(source) != 'text'"
                                 " OR typeof(file_hash) != 'text'",
    "tombstones that are live chunks": "SELECT COUNT(*) FROM tombstones JOIN docs USING (row)",
}


@dataclass(frozen=True)
class StoredDoc:
    """One stored chunk."""

    row: int
    id: str
    text: str
    metadata: dict[str, Any]


class DocStore:
    """Chunks by id and by FAISS row, with metadata filters evaluated in SQL (before the vector search)."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db
        self._lock = threading.RLock()
        self._db.executescript(_SCHEMA)

    @classmethod
    def in_memory(cls) -> DocStore:
        return cls(sqlite3.connect(":memory:", check_same_thread=False))

    @classmethod
    def load(cls, path: Path) -> DocStore:
        """Copy a saved docstore into memory."""
        store = cls.in_memory()
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            source.backup(store._db)
        finally:
            source.close()
        return store

    def check(self) -> None:
        """Raise ValueError unless the tables, their indexes and every row are what this module writes."""
        for table, columns in _COLUMNS.items():
            found = [name for _, name, *_ in self._db.execute(f"PRAGMA table_info({table})")]
            if found != columns:
                raise ValueError(f"docstore table {table} has columns {found}, expected {columns}")
        try:
            self._db.execute("REINDEX")  # indexes rebuilt from the rows (3x faster than an integrity check)
            bad = {what: self._db.execute(query).fetchone()[0] for what, query in _BAD_ROWS.items()}
            for _ in self._db.execute("SELECT id, source FROM docs"):  # decodes each: bytes that are not UTF-8 raise
                pass
        except sqlite3.Error as exc:
            raise ValueError(f"docstore: {exc}") from exc
        for what, count in bad.items():
            if count:
                raise ValueError(f"docstore has {count} {what}")

    def rows(self) -> np.ndarray:
        """Every chunk's row, ascending (read from the source index: a scan of the table would read every text)."""
        rows = np.fromiter((r for (r,) in self._db.execute("SELECT row FROM docs INDEXED BY docs_source")), np.int64)
        return np.sort(rows)

    def save_to(self, path: Path) -> None:
        """Write a consistent copy to path."""
        with self._lock:
            self._db.commit()  # backup() from a connection with an open write transaction loops forever
            target = sqlite3.connect(path)
            try:
                self._db.backup(target)
            finally:
                target.close()

    def __len__(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM docs").fetchone()[0]

    def next_rows(self, n: int) -> list[int]:
        """n fresh row ids, never reused (tombstoned rows may still sit in the vector index)."""
        top = self._db.execute(
            "SELECT MAX(m) FROM (SELECT MAX(row) AS m FROM docs UNION ALL SELECT MAX(row) FROM tombstones)"
        ).fetchone()[0]
        start = (top or 0) + 1
        return list(range(start, start + n))

    def add(self, rows: list[int], ids: list[str], texts: list[str], metadatas: list[dict[str, Any]]) -> None:
        with self._lock:
            self._db.executemany(
                "INSERT INTO docs VALUES (?, ?, ?, ?, ?)",
                [
                    (row, i, t, json.dumps(m, sort_keys=True, default=str), m.get("source"))
                    for row, i, t, m in zip(rows, ids, texts, metadatas)
                ],
            )

    def remove_rows(self, rows: list[int]) -> None:
        with self._lock:
            self._db.executemany("DELETE FROM docs WHERE row = ?", [(r,) for r in rows])

    def rows_for_ids(self, ids: Iterable[str]) -> dict[str, int]:
        return self._query_map("SELECT id, row FROM docs WHERE id IN ({})", list(ids))

    def rows_for_source(self, source: str) -> list[int]:
        return [r for (r,) in self._db.execute("SELECT row FROM docs WHERE source = ?", (source,))]

    def by_rows(self, rows: Iterable[int]) -> dict[int, StoredDoc]:
        rows = list(rows)
        found: dict[int, StoredDoc] = {}
        for begin in range(0, len(rows), 500):
            part = rows[begin : begin + 500]
            query = f"SELECT row, id, text, metadata FROM docs WHERE row IN ({','.join('?' * len(part))})"
            try:
                for row, i, text, meta in self._db.execute(query, part):
                    found[row] = StoredDoc(row, i, text, json.loads(meta))
            except sqlite3.OperationalError as exc:  # e.g. a chunk text that is not UTF-8
                raise IndexFormatError(f"the docstore is damaged ({exc}): rebuild the index with `ragkit index`") \
                    from exc
        return found

    def iter_texts(self, batch: int = 10_000) -> Iterator[tuple[int, str]]:
        """(row, text) of every chunk in ascending rows, fetched a batch at a time (bounded memory)."""
        last = -1
        while True:
            with self._lock:
                part = self._db.execute("SELECT row, text FROM docs WHERE row > ? ORDER BY row LIMIT ?",
                                        (last, batch)).fetchall()
            if not part:
                return
            yield from part
            last = part[-1][0]

    def by_ids(self, ids: Iterable[str]) -> list[StoredDoc]:
        rows = self.rows_for_ids(ids)
        docs = self.by_rows(rows.values())
        return [docs[rows[i]] for i in ids if i in rows]

    def filter_rows(self, where: dict[str, Any]) -> list[int]:
        """Rows whose metadata matches every key (a value, or a list of accepted values)."""
        clauses, params = [], []
        for key, value in where.items():
            path = "$." + json.dumps(key)
            values = value if isinstance(value, (list, tuple, set)) else [value]
            clauses.append(f"json_extract(metadata, ?) IN ({','.join('?' * len(values))})")
            params.extend([path, *values])
        sql = "SELECT row FROM docs" + (" WHERE " + " AND ".join(clauses) if clauses else "")
        return [r for (r,) in self._db.execute(sql, params)]

    def sources(self) -> dict[str, str]:
        """Indexed source files and the hash of their content when indexed."""
        return dict(self._db.execute("SELECT source, file_hash FROM sources"))

    def set_source(self, source: str, file_hash: str | None) -> None:
        with self._lock:
            if file_hash is None:
                self._db.execute("DELETE FROM sources WHERE source = ?", (source,))
            else:
                self._db.execute("INSERT OR REPLACE INTO sources VALUES (?, ?)", (source, file_hash))

    def tombstones(self) -> set[int]:
        return {r for (r,) in self._db.execute("SELECT row FROM tombstones")}

    def set_tombstones(self, rows: set[int]) -> None:
        with self._lock:
            self._db.execute("DELETE FROM tombstones")
            self._db.executemany("INSERT INTO tombstones VALUES (?)", [(r,) for r in sorted(rows)])

    def _query_map(self, template: str, keys: list[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for begin in range(0, len(keys), 500):
            part = keys[begin : begin + 500]
            found.update(self._db.execute(template.format(",".join("?" * len(part))), part))
        return found
