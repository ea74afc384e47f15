"""The answer log: one structured event per answer (or failed answer) and the feedback attached to it, in
events.sqlite beside the index; `ragkit report` reads it."""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ragkit.answerlog.db import SqliteFile
from ragkit.errors import InvalidInputError, RagkitError

EVENTS_FILE = "events.sqlite"
MAX_COMMENT = 2000
_RATINGS: dict[str | int, int] = {"up": 1, "+1": 1, "1": 1, 1: 1, "down": -1, "-1": -1, -1: -1}
_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    time REAL NOT NULL,
    event TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_time ON events (time);
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL REFERENCES events (id),
    time REAL NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS feedback_event ON feedback (event_id);
"""


class EventNotFoundError(RagkitError):
    """Feedback names an answer event the log does not hold."""


@dataclass(frozen=True)
class Event:
    """What happened for one answer: where it came from, what was retrieved, how long it took, how it ended."""

    index: str
    """The knowledge base's name."""
    generation: str
    """The index version answered from."""
    model: str
    """The answering model."""
    prompt: dict[str, Any]
    """prompt_id, prompt_version, prompt_sha256."""
    question: str
    """The question as asked."""
    rewritten: str = ""
    """The question retrieval searched for, when it was rewritten (a follow-up); empty otherwise."""
    retrieved: list[dict[str, Any]] = field(default_factory=list)
    """The passages retrieved: chunk_id, source, score."""
    timings: dict[str, float] = field(default_factory=dict)
    """The answer's timings (token counts too, where the model reported them)."""
    latency_s: float = 0.0
    """Seconds from the question to the answer (or the error)."""
    found: bool = False
    """Something relevant was retrieved (false: the not-found reply)."""
    extractive: bool = False
    """The grounding guardrail replaced the model's reply."""
    cached: bool = False
    """Answered from the answer cache."""
    warnings: list[str] = field(default_factory=list)
    """Prompt-injection text removed from passages."""
    error: str = ""
    """Why no answer came ('ErrorType: message'; 'cancelled' when the caller stopped reading); empty on success."""
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    """Unique id (what Answer.event_id holds)."""
    time: float = field(default_factory=time.time)
    """When the answer ended (Unix seconds)."""


@dataclass(frozen=True)
class Feedback:
    """A rating of one answer."""

    event_id: str
    rating: int
    """+1 (up) or -1 (down)."""
    comment: str
    time: float


class EventLog:
    """The events and feedback of one index, shared by every thread and process that answers from it."""

    def __init__(self, directory: Path):
        self.path = Path(directory) / EVENTS_FILE
        self._db = SqliteFile(self.path, _SCHEMA)

    def record(self, event: Event) -> str:
        """Append an event; returns its id."""
        with self._db.transaction() as db:
            db.execute("INSERT INTO events (id, time, event) VALUES (?, ?, ?)",
                       (event.id, event.time, json.dumps(asdict(event), ensure_ascii=False)))
        return event.id

    def get(self, event_id: str) -> Event:
        """The event with this id; EventNotFoundError if there is none."""
        with self._db.transaction() as db:
            row = db.execute("SELECT event FROM events WHERE id = ?", (event_id,)).fetchone()
        if row is None:
            raise EventNotFoundError(f"no answer event {event_id!r} in {self.path.parent.name!r}")
        return _event(row["event"])

    def events(self, since: float = 0.0) -> list[Event]:
        """Every event from `since` on, oldest first."""
        if not self.path.is_file():
            return []
        with self._db.transaction() as db:
            rows = db.execute("SELECT event FROM events WHERE time >= ? ORDER BY time", (since,)).fetchall()
        return [_event(row["event"]) for row in rows]

    def feedback(self, event_id: str, rating: str | int, comment: str = "") -> Feedback:
        """Attach a rating ('up'/'down', +1/-1) and an optional comment to an answer event; EventNotFoundError for
        an unknown event, InvalidInputError for a bad rating or a comment over MAX_COMMENT characters."""
        given = Feedback(event_id, parse_rating(rating), _comment(comment), time.time())
        if not self.path.is_file():
            raise EventNotFoundError(f"no answer event {event_id!r} in {self.path.parent.name!r}")
        with self._db.transaction() as db:
            if db.execute("SELECT 1 FROM events WHERE id = ?", (event_id,)).fetchone() is None:
                raise EventNotFoundError(f"no answer event {event_id!r} in {self.path.parent.name!r}")
            db.execute("INSERT INTO feedback (event_id, time, rating, comment) VALUES (?, ?, ?, ?)",
                       (given.event_id, given.time, given.rating, given.comment))
        return given

    def prune(self, max_age_s: float, max_bytes: int) -> int:
        """Delete events older than max_age_s, then the oldest until the events' text is within max_bytes, with
        their feedback; returns how many went. (SQLite reuses the freed pages, so the file stops growing.)"""
        if not self.path.is_file():
            return 0
        with self._db.transaction() as db:
            cutoff = time.time() - max_age_s
            # The newest event past the size budget, counting from the newest: it and everything older go.
            row = db.execute("SELECT time FROM (SELECT time, SUM(length(event)) OVER (ORDER BY time DESC, id) AS "
                             "total FROM events) WHERE total > ? ORDER BY time DESC LIMIT 1", (max_bytes,)).fetchone()
            if row is not None:
                cutoff = max(cutoff, row["time"] + 1e-6)
            db.execute("DELETE FROM feedback WHERE event_id IN (SELECT id FROM events WHERE time < ?)", (cutoff,))
            return db.execute("DELETE FROM events WHERE time < ?", (cutoff,)).rowcount

    def ratings(self) -> list[Feedback]:
        """Every feedback given, oldest first."""
        if not self.path.is_file():
            return []
        with self._db.transaction() as db:
            rows = db.execute("SELECT event_id, rating, comment, time FROM feedback ORDER BY id").fetchall()
        return [Feedback(row["event_id"], row["rating"], row["comment"], row["time"]) for row in rows]


def parse_rating(rating: str | int) -> int:
    """+1 for 'up', '+1', 1; -1 for 'down', '-1', -1; InvalidInputError for anything else (booleans included)."""
    value = rating.strip().lower() if isinstance(rating, str) else rating
    if isinstance(value, bool) or value not in _RATINGS:
        raise InvalidInputError(f"rating must be 'up', 'down', +1 or -1, not {rating!r}")
    return _RATINGS[value]


def _comment(comment: str) -> str:
    if len(comment) > MAX_COMMENT:
        raise InvalidInputError(f"a feedback comment has at most {MAX_COMMENT} characters, not {len(comment)}")
    return comment


def _event(text: str) -> Event:
    """An event read back; fields this version does not know are ignored."""
    data = json.loads(text)
    return Event(**{name: value for name, value in data.items() if name in Event.__dataclass_fields__})
