"""Split pages into chunks sized in tokens of the embedding model, keeping source, page and character span."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from langchain_text_splitters import RecursiveCharacterTextSplitter

from ragkit.digests import content_hash
from ragkit.ingest.loaders import Page
from ragkit.ingest.table import Table


@dataclass(frozen=True)
class Chunk:
    """A piece of a source file with everything needed to cite it and to cache its embedding."""

    text: str
    source: str
    page: int
    start: int
    end: int
    label: str = ""
    """How a citation names the part of the file (e.g. "sheet Budget", "slide 3"); empty: the page number."""
    hash: str = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hash", content_hash(self.text))

    @property
    def id(self) -> str:
        """Stable id: the same text at the same place of the same source keeps its id across runs."""
        key = f"{self.source}\x00{self.page}\x00{self.start}\x00{self.hash}"
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]

    @property
    def metadata(self) -> dict[str, object]:
        """Metadata stored with the chunk and returned with search hits."""
        meta: dict[str, object] = {"source": self.source, "page": self.page, "start": self.start, "end": self.end,
                                   "hash": self.hash}
        if self.label:
            meta["label"] = self.label
        return meta


class _RecentCounts:
    """Token counts of recently seen pieces. The recursive splitter counts a paragraph again at every separator
    level it lacks (on SciFact, 30k counts per 1,000 abstracts, 11k distinct). Hand-written rather than
    functools.lru_cache because the splitter must pickle for reader processes."""

    def __init__(self, count: Callable[[str], int], size: int = 1024):
        self.count = count
        self.size = size
        self.memo: dict[str, int] = {}

    def __call__(self, text: str) -> int:
        found = self.memo.get(text)
        if found is None:
            if len(self.memo) >= self.size:
                self.memo.clear()
            found = self.memo[text] = self.count(text)
        return found


SEPARATORS = [
    r"\n\n", r"\n",
    r"[。！？]+[”’」』）》]*",  # Chinese sentence ends (no space follows them); closing quotes stay with the sentence
    r"\. ", r"\? ", r"! ",
    r"；", r"; ",
    r"[，、：]", r", ",
    r"(?=[“‘「『（《【])",  # before a full-width opening quote or bracket
    r" ", r"",
]
"""Regexes tried in order: paragraphs, lines, sentences, clauses, quotes, words, characters. English-only text
meets none of the full-width marks, so it is cut exactly as with LangChain's plain separators."""


class Splitter:
    """Recursive splitter (paragraphs, lines, sentences, clauses, words) in English and Chinese whose sizes count
    the embedder's tokens."""

    def __init__(self, length_function: Callable[[str], int], chunk_tokens: int, overlap_tokens: int):
        """Sizes have no default here: IndexSettings.chunking() (ragkit.settings.CHUNK_DEFAULTS) is their one home."""
        if not 0 <= overlap_tokens < chunk_tokens:
            raise ValueError("overlap_tokens must be at least 0 and smaller than chunk_tokens")
        self._count = _RecentCounts(length_function)
        self._chunk_tokens = chunk_tokens
        self._splitter = RecursiveCharacterTextSplitter(
            chunk_size=chunk_tokens,
            chunk_overlap=overlap_tokens,
            length_function=self._count,
            separators=SEPARATORS,
            is_separator_regex=True,
            keep_separator="end",
            strip_whitespace=True,
        )

    def split(self, pages: list[Page], source: str) -> list[Chunk]:
        """Chunks of every page, in order, with character spans into that page's text."""
        chunks: list[Chunk] = []
        for page in pages:
            if page.table is not None:
                chunks.extend(self._table_chunks(page, page.table, source))
                continue
            # Spans are found here rather than with add_start_index, which returns -1 for some overlapping chunks.
            cursor = 0
            for text in self._splitter.split_text(page.text):
                start = page.text.find(text, cursor)
                start = start if start >= 0 else page.text.find(text)
                chunks.append(Chunk(text, source, page.page, start, start + len(text), page.label))
                cursor = start + 1
        return chunks

    def _table_chunks(self, page: Page, table: Table, source: str) -> list[Chunk]:
        """Runs of whole rows within the chunk size, each under the table's title and header, labelled with the
        rows it holds (a row longer than a chunk is a chunk of its own)."""
        head = table.head()
        lines = [table.line(i) for i in range(len(table.rows))]
        starts = list(itertools.accumulate((len(line) + 1 for line in lines), initial=len(head) + 1))
        chunks: list[Chunk] = []

        def emit(group: list[int]) -> None:
            rows = f"rows {table.rows[group[0]][0]}-{table.rows[group[-1]][0]}"
            text = "\n".join([head, *(lines[i] for i in group)])
            chunks.append(Chunk(text, source, page.page, starts[group[0]], starts[group[-1]] + len(lines[group[-1]]),
                                f"{page.label}, {rows}" if page.label else rows))

        budget = self._chunk_tokens - self._count(head)
        group: list[int] = []
        used = 0
        for index, line in enumerate(lines):
            cost = self._count("\n" + line)
            if group and used + cost > budget:
                emit(group)
                group, used = [], 0
            group.append(index)
            used += cost
        if group:
            emit(group)
        return chunks
