"""ragkit: retrieval-augmented generation on LangChain with FAISS (no pickle), llama.cpp and cited answers.

The names below load on first use (PEP 562), so `ragkit --help` and other light commands skip LangChain and FAISS.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ragkit.chains import Answer, Citation, RagChain
    from ragkit.errors import RagkitError
    from ragkit.kb import KnowledgeBase

_HOMES = {"Answer": "ragkit.chains", "Citation": "ragkit.chains", "RagChain": "ragkit.chains",
          "RagkitError": "ragkit.errors", "KnowledgeBase": "ragkit.kb"}
__all__ = ["Answer", "Citation", "KnowledgeBase", "RagChain", "RagkitError"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ragkit' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
