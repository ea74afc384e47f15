"""Sparse BM25 retrieval (bm25s; Snowball-stemmed English, jieba-segmented Chinese) over a AnnVectorStore's chunks.

The index is saved in the index's generation directory, in bm25s's own format (numpy arrays + JSON, never pickle)
and covered by the manifest's checksums; it is rebuilt from the docstore when the store changed since it was built.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from ragkit.errors import IndexFormatError, IndexNotFoundError, RagkitError, reject_unknown_options
from ragkit.store import AnnVectorStore, persist
from ragkit.text import CHINESE_STOPWORDS, ENGLISH_FUNCTION_WORDS, is_han, sentences, slip_of, words

log = logging.getLogger(__name__)

BM25_DIR = "bm25"
_META = "ragkit-bm25.json"
_ROWS = "rows.npy"
TOKENIZER = "words-zh-1"
"""Version of the tokenization below; an index saved with another one is rebuilt."""


def _require_bm25s() -> Any:
    try:
        import bm25s
        import Stemmer
    except ImportError as exc:
        raise RagkitError("install bm25s and PyStemmer to enable BM25 retrieval") from exc
    return bm25s, Stemmer


class BM25Index:
    """BM25 scores of every chunk (by docstore row) for a query, restricted to allowed rows when filtering."""

    def __init__(self, model: Any, rows: np.ndarray, fingerprint: list[int], language: str = "english",
                 tokenizer: str = TOKENIZER):
        self.model = model
        self.rows = rows
        self.fingerprint = fingerprint
        self.language = language
        self.tokenizer = tokenizer
        self._tokenizer = _tokenizer(language)
        self._stopwords = frozenset(self._tokenizer.stopwords)

    @classmethod
    def build(cls, docs: Iterable[tuple[int, str]], fingerprint: list[int], language: str = "english",
              k1: float = 1.2, b: float = 0.75) -> BM25Index:
        """Tokenize (lowercase, Chinese word segmentation, stopwords, Snowball stems) and index (row, text) pairs,
        streamed in ascending rows.

        Token ids are kept as one small int32 array per text: lists of token strings cost ~2.4 KB per chunk and
        made BM25 the peak of indexing 1M chunks.
        """
        bm25s, _ = _require_bm25s()
        rows: list[int] = []

        def texts() -> Iterator[str]:
            for row, text in docs:
                rows.append(row)
                yield text

        tokenizer = _tokenizer(language)
        ids = [np.fromiter(doc, np.int32) for doc in tokenizer.streaming_tokenize(texts())]
        model = None  # bm25s cannot index nothing; an empty index simply finds nothing
        if ids:
            model = bm25s.BM25(k1=k1, b=b)
            model.index((ids, tokenizer.get_vocab_dict()), show_progress=False)
        return cls(model, np.asarray(rows, dtype=np.int64), list(fingerprint), language)

    def __len__(self) -> int:
        return len(self.rows)

    def search(self, query: str, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, rows) with a positive score; `allowed` rows restrict scoring, so k come back when k match."""
        tokens = self._query_tokens(query)
        if not tokens or len(self.rows) == 0 or k <= 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        scores = self.model.get_scores(tokens)
        positions = np.arange(len(self.rows)) if allowed is None else np.flatnonzero(np.isin(self.rows, allowed))
        candidate = scores[positions]
        if len(candidate) > k:
            positions = positions[np.argpartition(-candidate, k - 1)[:k]]
        top = positions[np.argsort(-scores[positions], kind="stable")]
        top = top[scores[top] > 0]
        return scores[top].astype(np.float32), self.rows[top]

    def coverage(self, query: str, texts: Sequence[str], slips: bool = False) -> float:
        """Share of the query's terms found in the texts, each term weighing its inverse document frequency in the
        index (1.0 for a query with no term): a question about what the corpus never mentions names things
        (people, places, works) that no retrieved passage contains, even where a neighbouring topic scores a
        fair cosine. With `slips`, a misspelt term counts as the one it misspells (ragkit.text.slip_of)."""
        present = {t for text in texts for t in self._query_tokens(text)}
        return self._share(self._term_weights(query), present, slips)

    def window_coverage(self, query: str, texts: Sequence[str], slips: bool = False) -> float:
        """The best coverage of the query by one sentence, or two adjacent ones, of the texts: a question asks
        about one statement, so its terms meet in one place of a passage that answers it, while a passage on a
        neighbouring topic holds them scattered, if at all. `slips` as in coverage."""
        weights, windows = self._term_weights(query), []
        for text in texts:
            terms = [set(self._query_tokens(sentence)) for _, sentence in sentences(text)]
            windows += terms + [first | second for first, second in zip(terms, terms[1:])]
        return max((self._share(weights, window, slips) for window in windows), default=0.0)

    def _term_weights(self, query: str) -> dict[str, float] | None:
        """The query's terms (question words aside), each with its inverse document frequency in the index; None
        when there is nothing to cover."""
        asked = list(dict.fromkeys(t for t in self._query_tokens(query) if t not in _QUESTION_WORDS))
        if not asked or self.model is None:
            return None
        vocab, pointers = self.model.vocab_dict, np.asarray(self.model.scores["indptr"])

        def weight(term: str) -> float:
            column = vocab.get(term)
            frequency = 0 if column is None else int(pointers[column + 1] - pointers[column])
            return math.log((len(self.rows) + 1) / (frequency + 0.5))

        return {term: weight(term) for term in asked}

    @staticmethod
    def _share(weights: dict[str, float] | None, present: set[str], slips: bool = False) -> float:
        """The weighted share of the terms present, or with `slips` a slip away from one (1.0 without terms)."""
        total = sum(weights.values()) if weights else 0.0
        if not weights or total <= 0:
            return 1.0
        return sum(w for term, w in weights.items()
                   if term in present or (slips and slip_of(term, present))) / total

    def _query_tokens(self, query: str) -> list[str]:
        """The query through the index's tokenizer: split, stopwords dropped, stemmed (unknown words kept)."""
        return [self._tokenizer.stemmer(w) for w in _split(query.lower()) if w not in self._stopwords]

    def save(self, directory: Path) -> None:
        """Write bm25s's files, the row map and the fingerprint to directory (replaced atomically)."""
        directory = Path(directory)
        directory.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".bm25-", dir=directory.parent))
        try:
            if self.model is not None:
                self.model.save(staging, show_progress=False)
            np.save(staging / _ROWS, self.rows, allow_pickle=False)
            meta = {"fingerprint": self.fingerprint, "language": self.language, "tokenizer": self.tokenizer}
            (staging / _META).write_text(json.dumps(meta))
            if directory.exists():
                shutil.rmtree(directory)
            staging.rename(directory)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise

    @classmethod
    def load(cls, directory: Path) -> BM25Index:
        """Read an index written by `save` (no pickle is ever loaded); IndexFormatError if it is not one."""
        try:
            return cls._read(Path(directory))
        except Exception as exc:
            raise IndexFormatError(f"cannot read the BM25 index at {directory}: {exc}") from exc

    @classmethod
    def _read(cls, directory: Path) -> BM25Index:
        bm25s, _ = _require_bm25s()
        meta = json.loads((directory / _META).read_text())
        rows = np.load(directory / _ROWS, allow_pickle=False)
        fingerprint, language = meta["fingerprint"], meta.get("language", "english")
        tokenizer = meta.get("tokenizer", "")
        if not (isinstance(fingerprint, list) and all(type(n) is int for n in fingerprint) and isinstance(language, str)
                and isinstance(tokenizer, str)):
            raise ValueError(f"{_META} is not a ragkit BM25 description")
        if rows.dtype != np.int64 or rows.ndim != 1 or (len(rows) > 1 and np.any(np.diff(rows) <= 0)):
            raise ValueError(f"{_ROWS} is not an ascending int64 vector")
        model = bm25s.BM25.load(directory, allow_pickle=False, show_progress=False) if len(rows) else None
        if model is not None:
            _check_model(model, len(rows))
        return cls(model, rows, fingerprint, language, tokenizer)


def store_fingerprint(store: AnnVectorStore) -> list[int]:
    """What identifies the store's contents for BM25: chunk count and next row (rows are never reused); cheap,
    as it is checked on every query."""
    return [len(store.docstore), store.docstore.next_rows(1)[0]]


def build_bm25(store: AnnVectorStore, language: str = "english") -> BM25Index:
    """A BM25 index over every chunk of the store, reading texts from the docstore as a stream."""
    return BM25Index.build(store.docstore.iter_texts(), store_fingerprint(store), language)


def save_bm25(store: AnnVectorStore, directory: str | Path) -> BM25Index:
    """Build the store's BM25 index and add it to the saved index's generation (call after `store.save(directory)`)."""
    index = build_bm25(store)
    persist.extend_generation(Path(directory), {BM25_DIR: index.save})
    shutil.rmtree(Path(directory) / BM25_DIR, ignore_errors=True)  # where ragkit kept it, unhashed, before format v2
    return index


def load_bm25(store: AnnVectorStore, directory: str | Path) -> BM25Index:
    """The BM25 index saved with the index in directory if it matches the store, else one rebuilt from the store;
    IndexFormatError if the saved one is damaged."""
    try:
        index = persist.load_generation(Path(directory), _read_saved, prefix=BM25_DIR + "/")
    except IndexNotFoundError:
        index = None
    if index is not None and index.fingerprint == store_fingerprint(store) and np.array_equal(
            index.rows, store.docstore.rows()) and index.tokenizer == TOKENIZER:
        return index
    log.info("no up-to-date BM25 index saved in %s; building it from the docstore", directory)
    return build_bm25(store)


def _read_saved(manifest: persist.Manifest, files: dict[str, Path]) -> BM25Index | None:
    """The generation's BM25 index (None if it was saved without one)."""
    return BM25Index._read(files[f"{BM25_DIR}/{_ROWS}"].parent) if files else None


def _check_model(model: Any, n_docs: int) -> None:
    """Raise ValueError unless bm25s's arrays form a sparse (vocabulary x documents) matrix over n_docs documents
    (scoring does not check bounds)."""
    scores, vocab = model.scores, model.vocab_dict
    data, indices, indptr = (np.asarray(scores[key]) for key in ("data", "indices", "indptr"))
    if scores.get("num_docs") != n_docs or indptr.ndim != 1 or len(indptr) != len(vocab) + 1 or indptr[0] != 0:
        raise ValueError("the BM25 matrix does not match its vocabulary and rows")
    if np.any(np.diff(indptr) < 0) or not len(data) == len(indices) == indptr[-1]:
        raise ValueError("the BM25 matrix's pointers are not ascending")
    if len(indices) and (indices.min() < 0 or indices.max() >= n_docs):
        raise ValueError("the BM25 matrix refers to rows it does not have")
    if not np.all(np.isfinite(data)):
        raise ValueError("the BM25 matrix holds weights that are not finite")
    if sorted(vocab.values()) != list(range(len(vocab))):
        raise ValueError("the BM25 vocabulary's ids are not 0..n-1")


class BM25Retriever(BaseRetriever):
    """Top-k chunks by BM25; each Document carries its score in metadata['score']; filters restrict scoring."""

    model_config = ConfigDict(arbitrary_types_allowed=True, extra="forbid")

    store: AnnVectorStore
    index: BM25Index | None = None
    """Prebuilt index (e.g. from `load_bm25`); built from the store on first use when missing or out of date."""
    k: int = 4
    """How many chunks to return."""
    filter: dict[str, Any] | None = None
    """Metadata filter, e.g. {'source': 'docs/a.md'}: only matching chunks are scored."""

    def current(self) -> BM25Index:
        """The index over the store as it is now (rebuilt when the store changed)."""
        fingerprint = store_fingerprint(self.store)
        if self.index is None or self.index.fingerprint != fingerprint:
            self.index = build_bm25(self.store)
        return self.index

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                **kwargs: Any) -> list[Document]:
        reject_unknown_options("BM25Retriever", kwargs, ("k", "filter"))
        where = kwargs.get("filter", self.filter)
        allowed = np.asarray(self.store.docstore.filter_rows(where), dtype=np.int64) if where else None
        if allowed is not None and len(allowed) == 0:
            return []
        scores, rows = self.current().search(query, kwargs.get("k", self.k), allowed)
        found = self.store.docstore.by_rows(int(r) for r in rows)
        return [
            Document(page_content=found[int(r)].text, metadata={**found[int(r)].metadata, "score": float(s)},
                     id=found[int(r)].id)
            for s, r in zip(scores, rows)
            if int(r) in found
        ]


_QUESTION_WORDS = ENGLISH_FUNCTION_WORDS | CHINESE_STOPWORDS | frozenset(
    ["哪一年", "哪年", "哪里", "哪儿", "哪天", "何时", "什么时候", "多久", "多长", "多大", "多远", "是否", "有没有"])
"""Words that say what kind of answer is asked for, not what about: left out of BM25Index.coverage."""


def _split(text: str) -> list[str]:
    """Words of a lower-cased text: Chinese words of any length, other words of two or more characters (as
    bm25s's default pattern, so English is tokenized as before)."""
    return [w for w in words(text) if len(w) > 1 or is_han(w)]


def _tokenizer(language: str) -> Any:
    """A bm25s Tokenizer with ragkit's splitter, the language's and Chinese stopwords and a Snowball stemmer."""
    _, stemmer = _require_bm25s()
    from bm25s.tokenization import Tokenizer

    stopwords = [*Tokenizer(stopwords=language).stopwords, *sorted(CHINESE_STOPWORDS)]
    return Tokenizer(splitter=_split, stopwords=stopwords, stemmer=stemmer.Stemmer(language))
