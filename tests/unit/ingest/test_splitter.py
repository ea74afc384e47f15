"""The splitter sizes chunks in embedder tokens and keeps exact spans and hashes."""

import pytest

from ragkit.embeddings import HashingEmbeddings
from ragkit.hashing import content_hash
from ragkit.ingest import Page, Splitter

pytestmark = pytest.mark.unit


def test_chunks_respect_token_budget_and_spans():
    embedder = HashingEmbeddings()
    text = "\n\n".join(f"Paragraph {i}. " + " ".join(f"word{i}x{j}" for j in range(40)) for i in range(10))
    chunks = Splitter(embedder.count_tokens, chunk_tokens=60, overlap_tokens=10).split([Page(text, 3)], "doc.md")
    assert len(chunks) >= 8
    for chunk in chunks:
        assert embedder.count_tokens(chunk.text) <= 60
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.page == 3 and chunk.source == "doc.md"
        assert chunk.hash == content_hash(chunk.text)
        assert chunk.metadata == {"source": "doc.md", "page": 3, "start": chunk.start, "end": chunk.end,
                                  "hash": chunk.hash}


def test_ids_are_stable_and_distinct():
    splitter = Splitter(HashingEmbeddings().count_tokens, chunk_tokens=20, overlap_tokens=0)
    text = "alpha beta gamma. " * 30
    first = [c.id for c in splitter.split([Page(text)], "a.txt")]
    assert first == [c.id for c in splitter.split([Page(text)], "a.txt")]
    assert len(set(first)) == len(first)
    assert set(first).isdisjoint(c.id for c in splitter.split([Page(text)], "b.txt"))


def test_overlap_must_be_smaller_than_chunk():
    with pytest.raises(ValueError, match="overlap_tokens"):
        Splitter(len, chunk_tokens=10, overlap_tokens=10)


def test_spans_are_exact_on_every_example_file():
    from ragkit.ingest import load_file
    from tests.helpers import EXAMPLES_KB

    splitter = Splitter(HashingEmbeddings().count_tokens, chunk_tokens=40, overlap_tokens=8)
    for path in sorted(EXAMPLES_KB.iterdir()):
        pages = load_file(path)
        for chunk in splitter.split(pages, path.name):
            assert pages[chunk.page - 1].text[chunk.start : chunk.end] == chunk.text, (path.name, chunk.start)
