"""ragkit: retrieval-augmented generation on LangChain with FAISS (no pickle), llama.cpp and cited answers.

The names below load on first use (PEP 562), so `ragkit --help` and other light commands skip LangChain and FAISS.
The answer contract (ragkit.answer: what asking returns) is imported from here.
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
    from ragkit.chains import RagChain
    from ragkit.errors import RagkitError
    from ragkit.kb import KnowledgeBase

__all__ = ["NOT_FOUND", "NOT_FOUND_ZH", "Answer", "Citation", "KnowledgeBase", "RagChain", "RagEvent", "RagkitError",
           "TextDelta", "guardrail_note", "not_found", "says_not_found"]
_HOMES = {**{name: "ragkit.answer" for name in __all__}, "RagChain": "ragkit.chains", "RagkitError": "ragkit.errors",
          "KnowledgeBase": "ragkit.kb"}
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ragkit' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
