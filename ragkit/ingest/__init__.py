"""Turn files into chunks: finding files, loaders per format (a registry by suffix) and a token-sized splitter.

The names load on first use (PEP 562): the CLI's help lists the supported suffixes without importing the splitter.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ragkit.ingest.decode import decode_text
    from ragkit.ingest.loaders import load_file
    from ragkit.ingest.page import Page
    from ragkit.ingest.registry import Loader, LoaderRegistry, register_loader, supported_suffixes
    from ragkit.ingest.splitter import Chunk, Splitter

# Imported now: the function `walk` must win over the submodule of that name (an import binds it on the package).
from ragkit.ingest.walk import Walk, iter_files, safe_name, walk  # noqa: E402

_HOMES = {
    "decode_text": "decode", "load_file": "loaders", "Page": "page", "Loader": "registry",
    "LoaderRegistry": "registry", "register_loader": "registry", "supported_suffixes": "registry",
    "Chunk": "splitter", "Splitter": "splitter",
}
__all__ = [
    "Chunk", "Loader", "LoaderRegistry", "Page", "Splitter", "Walk", "decode_text", "iter_files", "load_file",
    "register_loader", "safe_name", "supported_suffixes", "walk",
]


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module 'ragkit.ingest' has no attribute {name!r}")
    return getattr(importlib.import_module(f"ragkit.ingest.{_HOMES[name]}"), name)
