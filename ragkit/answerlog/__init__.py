"""The answer cache and the answer log of a knowledge base: SQLite files beside its index (answers.sqlite,
events.sqlite), shared by every thread and process answering from it, and the report read from the log."""

from ragkit.answerlog.cache import CACHE_FILE, AnswerCache
from ragkit.answerlog.events import (
    EVENTS_FILE,
    MAX_COMMENT,
    Event,
    EventLog,
    EventNotFoundError,
    Feedback,
    parse_rating,
)
from ragkit.answerlog.key import CacheKey, cache_key, normalize_question
from ragkit.answerlog.recorder import AnswerRecorder

__all__ = [
    "CACHE_FILE", "EVENTS_FILE", "MAX_COMMENT", "AnswerCache", "AnswerRecorder", "CacheKey", "Event", "EventLog",
    "EventNotFoundError", "Feedback", "cache_key", "normalize_question", "parse_rating",
]
