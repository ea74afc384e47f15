"""Embedders named by a short spec string, so an index can record which one built it and reload the same."""

from __future__ import annotations

from ragkit.embeddings.base import VectorEmbeddings
from ragkit.embeddings.hashing import HashingEmbeddings
from ragkit.embeddings.sentence import DEFAULT_MODEL, SentenceTransformerEmbeddings

HASHING = "hashing"


def from_spec(spec: str | None) -> VectorEmbeddings:
    """`None`/'all-MiniLM-L6-v2' (packaged default), 'hashing[:DIM]' (model-free, for tests), or a model directory."""
    if not spec or spec == DEFAULT_MODEL:
        return SentenceTransformerEmbeddings()
    name, _, dimension = spec.partition(":")
    if name == HASHING:
        return HashingEmbeddings(int(dimension or 256))
    return SentenceTransformerEmbeddings(spec)
