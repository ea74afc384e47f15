"""Errors raised by ragkit: one small tree so callers and CLIs can catch them in one place."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any


class RagkitError(Exception):
    """Base class of every error ragkit raises on purpose; the message says what to do."""


class InvalidInputError(RagkitError):
    """A path, name or argument given by the user is not usable."""


class ContextOverflowError(InvalidInputError):
    """The prompt (question, history, passages) does not fit the model's context window."""


class SettingsMismatchError(InvalidInputError):
    """Settings given for an index differ from the ones it was built with."""


class IndexNotFoundError(RagkitError):
    """No saved index exists under the given name or path."""


class SourceNotFoundError(RagkitError):
    """A source named for deletion is not in the index."""


class KnowledgeBaseExistsError(InvalidInputError):
    """A knowledge base to create exists already under that name."""


class FileTooLargeError(InvalidInputError):
    """An uploaded file (or an upload's file count) is over the limit the caller set."""


class UnsupportedFileTypeError(InvalidInputError):
    """An uploaded file's type is one no loader reads."""


class IndexFormatError(RagkitError):
    """A saved index is damaged, of an unknown format, or does not match the embedder."""


class ModelError(RagkitError):
    """A model could not be found, verified or loaded."""


class PromptError(RagkitError):
    """A prompt file is missing or invalid."""


class PromptFileError(PromptError):
    """A prompt file breaks the format; `problems` holds every 'file:line: message', the first is the message."""

    def __init__(self, problems: list[str]):
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        super().__init__(problems[0] + more)
        self.problems = problems


class PromptRenderError(PromptError):
    """A prompt template failed to render; `path` (empty when unknown) and `line` locate the failing template line."""

    def __init__(self, path: str, line: int, reason: str):
        super().__init__(f"{path}:{line}: {reason}" if path else f"template line {line}: {reason}")
        self.path, self.line, self.reason = path, line, reason


class SkipFile(RagkitError):
    """A file cannot be ingested; the message is the reason shown in the index summary."""


class IndexLockedError(RagkitError):
    """Another process is writing the index; the message names it and says how to proceed."""


def reject_unknown_options(owner: str, options: Mapping[str, Any], known: Collection[str]) -> None:
    """Raise TypeError, as Python does for a bad keyword, when a per-call option is one `owner` would drop."""
    unknown = sorted(set(options) - set(known))
    if unknown:
        raise TypeError(f"{owner} got unknown keyword argument(s) {', '.join(map(repr, unknown))}; "
                        f"it takes {', '.join(sorted(known))}")
