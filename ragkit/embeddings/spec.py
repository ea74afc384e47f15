"""Embedders named by a short spec string, so an index can record which one built it and reload the same."""

from __future__ import annotations

from ragkit.embeddings.adapter import QueryAdapterEmbeddings, read_descriptor
from ragkit.embeddings.base import VectorEmbeddings
from ragkit.embeddings.e5 import MULTILINGUAL_MODEL, MultilingualE5Embeddings
from ragkit.embeddings.hashing import HashingEmbeddings
from ragkit.embeddings.sentence import DEFAULT_MODEL, SentenceTransformerEmbeddings
from ragkit.text import Language

HASHING = "hashing"


def from_spec(spec: str | None) -> VectorEmbeddings:
    """`None`/'all-MiniLM-L6-v2' (packaged default), 'multilingual-e5-small' (packaged, Chinese and mixed corpora),
    'hashing[:DIM]' (model-free, for tests), a sentence-transformers model directory (`ragkit finetune embedder`
    writes one), or a query-adapter directory over one of these."""
    if not spec or spec == DEFAULT_MODEL:
        return SentenceTransformerEmbeddings()
    if spec == MULTILINGUAL_MODEL:
        return MultilingualE5Embeddings()
    name, _, dimension = spec.partition(":")
    if name == HASHING:
        return HashingEmbeddings(int(dimension or 256))
    described = read_descriptor(spec)
    if described is not None and described["kind"] == "query-adapter":
        return QueryAdapterEmbeddings(spec, from_spec(str(described["base"])))
    return SentenceTransformerEmbeddings(spec)


def default_embedder_spec(language: Language) -> str:
    """The embedder a corpus gets by default: MiniLM for English, multilingual-e5-small for Chinese or mixed."""
    return DEFAULT_MODEL if language == "en" else MULTILINGUAL_MODEL
