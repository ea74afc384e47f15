"""The splitter sizes chunks in embedder tokens and keeps exact spans and hashes."""

import pytest

from ragkit.digests import content_hash
from ragkit.embeddings import HashingEmbeddings
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


def _chinese_text() -> str:
    import json

    from tests.helpers import ZH_KB

    return "".join(p["text"] for p in json.loads(ZH_KB.read_text(encoding="utf-8"))["paragraphs"])


_CLAUSE_ENDS = tuple("。！？；，、：”」』）》")


def test_chinese_text_is_cut_at_punctuation_into_chunks_of_useful_length():
    text = _chinese_text()  # ~2,000 characters, no spaces or newlines
    chunks = Splitter(len, chunk_tokens=200, overlap_tokens=0).split([Page(text)], "zh.txt")
    assert len(chunks) >= 8
    for chunk in chunks:
        assert len(chunk.text) <= 200
        assert text[chunk.start : chunk.end] == chunk.text
        assert chunk.text.endswith(("。", "！", "？")), chunk.text[-10:]  # whole sentences, never mid-word
    assert min(len(c.text) for c in chunks[:-1]) >= 100  # merged up to the budget, not 20-60 character scraps


def test_a_chinese_sentence_longer_than_the_budget_is_cut_at_commas():
    sentence = "，".join(f"第{i}项要求必须在规定时间内完成" for i in range(12)) + "。"
    chunks = Splitter(len, chunk_tokens=60, overlap_tokens=0).split([Page(sentence)], "zh.txt")
    assert len(chunks) >= 3
    assert all(len(c.text) <= 60 and c.text.endswith(("，", "。")) for c in chunks)


def test_chinese_chunks_are_sized_in_the_embedders_tokens():
    embedder = HashingEmbeddings()  # counts jieba words, not characters
    text = _chinese_text()
    chunks = Splitter(embedder.count_tokens, chunk_tokens=80, overlap_tokens=10).split([Page(text)], "zh.txt")
    assert len(chunks) >= 10  # ~1,300 words, where `\w+` saw one token per clause
    assert all(embedder.count_tokens(c.text) <= 80 for c in chunks)
    assert max(len(c.text) for c in chunks) > 80  # a jieba word is more than one character
    assert all(c.text.endswith(_CLAUSE_ENDS) for c in chunks)
    assert all(text[c.start : c.end] == c.text for c in chunks)


def test_english_is_cut_exactly_as_with_the_plain_separators():
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from ragkit.ingest import load_file
    from tests.helpers import EXAMPLES_KB

    count = HashingEmbeddings().count_tokens
    plain = RecursiveCharacterTextSplitter(chunk_size=40, chunk_overlap=8, length_function=count,
                                           separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
                                           keep_separator="end", strip_whitespace=True)
    ours = Splitter(count, chunk_tokens=40, overlap_tokens=8)
    for path in sorted(EXAMPLES_KB.iterdir()):
        for page in load_file(path):
            assert [c.text for c in ours.split([page], path.name)] == plain.split_text(page.text), path.name
