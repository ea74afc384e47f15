"""Turn files into chunks: finding files, loaders per format (a registry by suffix) and a token-sized splitter."""

from ragkit.ingest.decode import decode_text
from ragkit.ingest.loaders import load_file
from ragkit.ingest.page import Page
from ragkit.ingest.registry import Loader, LoaderRegistry, register_loader, supported_suffixes
from ragkit.ingest.splitter import Chunk, Splitter
from ragkit.ingest.walk import Walk, iter_files, safe_name, walk

__all__ = [
    "Chunk", "Loader", "LoaderRegistry", "Page", "Splitter", "Walk", "decode_text", "iter_files", "load_file",
    "register_loader", "safe_name", "supported_suffixes", "walk",
]
