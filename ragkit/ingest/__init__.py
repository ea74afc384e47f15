"""Turn files into chunks: loaders per format and a token-sized splitter."""

from ragkit.ingest.loaders import Page, iter_files, load_file
from ragkit.ingest.splitter import Chunk, Splitter

__all__ = ["Chunk", "Page", "Splitter", "iter_files", "load_file"]
