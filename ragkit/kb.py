"""KnowledgeBase: the one-object API used by the CLI, the Streamlit app and user code."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.retrievers import BaseRetriever

from ragkit.chains.rag import Answer, RagChain
from ragkit.config import index_path
from ragkit.embeddings import VectorEmbeddings, from_spec
from ragkit.errors import IndexNotFoundError
from ragkit.indexing import Indexer, IndexReport, Progress
from ragkit.models import ChatLlamaCpp, trained_prompt
from ragkit.prompts import load as load_prompt
from ragkit.retrieval import hybrid_retriever
from ragkit.store import FaissVectorStore
from ragkit.store.persist import Manifest, read_manifest

DEFAULT_K = 4
DEFAULT_SCORE_THRESHOLD = 0.25
"""Cosine similarity below which a passage is not relevant (all-MiniLM-L6-v2 scale); no passage left, no model call."""


class KnowledgeBase:
    """A named index under indexes/ (or any directory) plus the models that answer from it; models load late."""

    def __init__(self, name: str | None = None, *, path: str | Path | None = None,
                 embedder: VectorEmbeddings | str | None = None, llm: BaseChatModel | None = None,
                 k: int = DEFAULT_K, score_threshold: float | None = DEFAULT_SCORE_THRESHOLD):
        if (name is None) == (path is None):
            raise ValueError("give exactly one of name and path")
        self.directory = Path(path) if path is not None else index_path(name)  # type: ignore[arg-type]
        self.name = name or self.directory.name
        self._embedder = embedder
        self._llm = llm
        self.k = k
        self.score_threshold = score_threshold
        self._store: FaissVectorStore | None = None
        self._retriever: tuple[tuple, BaseRetriever] | None = None

    @property
    def exists(self) -> bool:
        return (self.directory / "manifest.json").is_file()

    def manifest(self) -> Manifest:
        """The saved index's manifest; IndexNotFoundError if it was never built."""
        if not self.exists:
            raise IndexNotFoundError(f"unknown index {self.name!r}: build it with `ragkit index PATH --index {self.name}`")
        return read_manifest(self.directory)

    @property
    def embedder(self) -> VectorEmbeddings:
        """The embedder given, else the one recorded in the saved index, else the packaged default."""
        if not isinstance(self._embedder, VectorEmbeddings):
            spec = self._embedder
            if spec is None and self.exists:
                spec = self.manifest().embedder_spec or None
            self._embedder = from_spec(spec)
        return self._embedder

    @property
    def llm(self) -> BaseChatModel:
        """The answering model: the one given, else the default llama.cpp preset (loaded on first use)."""
        if self._llm is None:
            self._llm = ChatLlamaCpp()
        return self._llm

    @property
    def store(self) -> FaissVectorStore:
        """The loaded store; raises IndexNotFoundError if the index was never built."""
        if self._store is None:
            self.manifest()
            self._store = FaissVectorStore.load(self.directory, self.embedder)
        return self._store

    def index(self, paths: Iterable[str | Path], progress: Progress | None = None, **options: Any) -> IndexReport:
        """Add or update files and directories; the saved index is replaced atomically at the end."""
        report = Indexer(self.directory, self.embedder, **options).run(paths, progress)
        self._store = self._retriever = None
        return report

    def retriever(self, **overrides: Any) -> BaseRetriever:
        """Dense + BM25 fused (ragkit's default retriever), with this knowledge base's k and relevance threshold."""
        params = {"k": self.k, "score_threshold": self.score_threshold, **overrides}
        key = tuple(sorted(params.items(), key=lambda item: item[0]))
        if self._retriever is None or self._retriever[0] != key:
            # BM25 is read from disk once per index version, not on every question.
            self._retriever = (key, hybrid_retriever(self.store, self.directory, **params))
        return self._retriever[1]

    def chain(self) -> RagChain:
        """retrieve -> answer prompt -> model; a model fine-tuned on a prompt (its adapter) gets that prompt."""
        prompt_id = trained_prompt(self.llm) or "rag-answer"
        return RagChain(self.retriever(), self.llm, load_prompt(prompt_id), embedder=self.embedder)

    def ask(self, question: str) -> Answer:
        """Answer with citations."""
        return self.chain().invoke(question)

    def stream(self, question: str) -> Iterator[str | Answer]:
        """Answer text as it is generated, then the Answer."""
        return self.chain().stream(question)

    def info(self) -> dict[str, Any]:
        """Manifest facts and the indexed sources."""
        manifest = self.manifest()
        return {
            "name": self.name,
            "path": str(self.directory),
            "embedder": manifest.embedder,
            "dimension": manifest.dimension,
            "metric": manifest.metric,
            "factory": manifest.factory,
            "chunks": manifest.count,
            "generation": manifest.generation,
            "sources": sorted(self.store.docstore.sources()),
        }
