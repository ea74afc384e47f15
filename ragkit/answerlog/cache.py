"""The answer cache: finished Answers by CacheKey in answers.sqlite beside the index.

A key holds the index generation, so an answer of an older version of the index is never returned; rows of older
generations are deleted when an answer of a newer one is stored, and the least recently used rows beyond
`max_rows`.
"""

from __future__ import annotations

import json
import logging
import re
import time
from dataclasses import asdict, fields, replace
from pathlib import Path
from typing import Any

from ragkit.answer import Answer, Citation
from ragkit.answerlog.db import SqliteFile
from ragkit.answerlog.key import CacheKey

log = logging.getLogger(__name__)
CACHE_FILE = "answers.sqlite"
_GENERATION = re.compile(r"(\d+)$")
_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    generation INTEGER NOT NULL,
    answer TEXT NOT NULL,
    created REAL NOT NULL,
    used REAL NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS answers_generation ON answers (generation);
CREATE INDEX IF NOT EXISTS answers_used ON answers (used);
"""


class AnswerCache:
    """Answers of one index, shared by every thread and process that answers from it."""

    def __init__(self, directory: Path, max_rows: int = 10_000):
        self.path = Path(directory) / CACHE_FILE
        self.max_rows = max_rows
        self._db = SqliteFile(self.path, _SCHEMA)

    def get(self, key: CacheKey) -> Answer | None:
        """The stored answer for this key (marked cached), or None."""
        with self._db.transaction() as db:
            row = db.execute("SELECT answer FROM answers WHERE key = ?", (key.digest,)).fetchone()
            if row is None:
                return None
            db.execute("UPDATE answers SET hits = hits + 1, used = ? WHERE key = ?", (time.time(), key.digest))
        answer = _decoded(row["answer"])
        return None if answer is None else replace(answer, cached=True)

    def put(self, key: CacheKey, answer: Answer) -> None:
        """Store an answer, then drop rows of older index generations and the least recently used beyond max_rows.
        An answer that is not JSON data (a field added by a subclass or a callback) is not cached."""
        try:
            stored = json.dumps(asdict(replace(answer, cached=False, event_id="")), ensure_ascii=False)
        except (TypeError, ValueError) as exc:
            log.warning("answer not cached: %s", exc)
            return
        generation, now = generation_number(key.generation), time.time()
        with self._db.transaction() as db:
            db.execute("INSERT OR REPLACE INTO answers (key, generation, answer, created, used) VALUES (?, ?, ?, ?, ?)",
                       (key.digest, generation, stored, now, now))
            db.execute("DELETE FROM answers WHERE generation < ?", (generation,))
            db.execute("DELETE FROM answers WHERE used <= (SELECT used FROM answers ORDER BY used DESC LIMIT 1 OFFSET ?)",
                       (self.max_rows,))

    def __len__(self) -> int:
        with self._db.transaction() as db:
            return int(db.execute("SELECT count(*) FROM answers").fetchone()[0])


def generation_number(generation: str) -> int:
    """7 for 'gen-000007'; 0 for the unnumbered generation of a version-1 index."""
    match = _GENERATION.search(generation)
    return int(match.group(1)) if match else 0


def _decoded(text: str) -> Answer | None:
    """The Answer stored as JSON; None for a row this version of Answer cannot read (a miss, not an error)."""
    try:
        data: dict[str, Any] = json.loads(text)
        known = {f.name for f in fields(Answer)}
        data = {name: value for name, value in data.items() if name in known}
        for name in ("citations", "passages"):
            data[name] = [Citation(**c) for c in data[name]]
        return Answer(**data)
    except (ValueError, TypeError, KeyError):
        return None
