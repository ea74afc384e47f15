"""ragkit: retrieval-augmented generation on LangChain with FAISS (no pickle), llama.cpp and cited answers.

The names below are ragkit's public API, the only ragkit names the faces (the app, the server) import; the answer
contract (ragkit.answer: what asking returns) is among them. They load on first use (PEP 562), so `ragkit --help`
and other light commands skip LangChain and FAISS.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ragkit.answer import (
        NOT_FOUND,
        NOT_FOUND_ZH,
        Answer,
        Citation,
        RagEvent,
        TextDelta,
        guardrail_note,
        not_found,
        says_not_found,
    )
    from ragkit.answerlog import EVENTS_FILE, MAX_COMMENT, EventLog, EventNotFoundError
    from ragkit.chains import RagChain
    from ragkit.chains.rewrite import HistoryInput
    from ragkit.errors import (
        FileTooLargeError,
        IndexFormatError,
        IndexNotFoundError,
        InvalidInputError,
        KnowledgeBaseExistsError,
        ModelError,
        RagkitError,
        SourceNotFoundError,
        UnsupportedFileTypeError,
    )
    from ragkit.indexing import IndexReport, Progress
    from ragkit.ingest import supported_suffixes
    from ragkit.kb import KnowledgeBase
    from ragkit.lifecycle import PACKAGED_EMBEDDERS, KnowledgeBases, list_knowledge_bases
    from ragkit.models import (
        DEFAULT_PRESET,
        PRESETS,
        ChatLlamaCpp,
        Identified,
        ModelIdentity,
        identity_of,
        token_counter,
    )
    from ragkit.paths import indexes_dir
    from ragkit.settings import IndexSettings, RetrievalSettings, validated
    from ragkit.staging import Upload, check_type, safe_name, write_json

_EXPORTS = {
    "ragkit.answerlog": ["EVENTS_FILE", "MAX_COMMENT", "ModelIdentity", "EventLog", "EventNotFoundError"],
    "ragkit.answer": ["NOT_FOUND", "NOT_FOUND_ZH", "Answer", "Citation", "RagEvent", "TextDelta", "guardrail_note",
                      "not_found", "says_not_found"],
    "ragkit.chains": ["RagChain"],
    "ragkit.chains.rewrite": ["HistoryInput"],
    "ragkit.paths": ["indexes_dir"],
    "ragkit.errors": ["FileTooLargeError", "IndexFormatError", "IndexNotFoundError", "InvalidInputError",
                      "KnowledgeBaseExistsError", "ModelError", "RagkitError", "SourceNotFoundError",
                      "UnsupportedFileTypeError"],
    "ragkit.indexing": ["IndexReport", "Progress"],
    "ragkit.ingest": ["supported_suffixes"],
    "ragkit.kb": ["KnowledgeBase"],
    "ragkit.lifecycle": ["PACKAGED_EMBEDDERS", "KnowledgeBases", "list_knowledge_bases"],
    "ragkit.models": ["DEFAULT_PRESET", "PRESETS", "ChatLlamaCpp", "Identified", "ModelIdentity", "identity_of",
                      "token_counter"],
    "ragkit.settings": ["IndexSettings", "RetrievalSettings", "validated"],
    "ragkit.staging": ["Upload", "check_type", "safe_name", "write_json"],
}
"""Home module -> the public names it defines."""
_HOMES = {name: module for module, names in _EXPORTS.items() for name in names}
__all__ = ["Answer", "ChatLlamaCpp", "check_type", "Citation", "DEFAULT_PRESET", "EventLog", "EventNotFoundError",
           "EVENTS_FILE", "FileTooLargeError", "guardrail_note", "HistoryInput", "Identified", "identity_of", "indexes_dir", "IndexFormatError",
           "IndexNotFoundError", "IndexReport", "IndexSettings", "InvalidInputError", "KnowledgeBase",
           "KnowledgeBaseExistsError", "KnowledgeBases", "list_knowledge_bases", "MAX_COMMENT", "ModelIdentity", "ModelError",
           "NOT_FOUND", "not_found", "NOT_FOUND_ZH", "PACKAGED_EMBEDDERS", "PRESETS", "Progress", "RagChain",
           "RagEvent", "RagkitError", "RetrievalSettings", "safe_name", "says_not_found", "SourceNotFoundError",
           "supported_suffixes", "TextDelta", "token_counter", "UnsupportedFileTypeError", "Upload", "validated",
           "write_json"]
"""The same names (ruff and mypy read a literal list; tests/unit/test_layers.py checks they agree)."""
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ragkit' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
