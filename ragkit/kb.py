"""KnowledgeBase: the one door the CLI, the Streamlit app, a server and user code go through.

It owns the index directory, the embedder recorded there, the answering model, and the opened store, retriever and
chain of the index's current version: a re-index (by this process or another) writes a new generation, and the
next question opens that one; until then every question reuses what is open (FAISS and BM25 load once).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import BasePromptTemplate
from langchain_core.retrievers import BaseRetriever

from ragkit.answer import Answer, RagEvent
from ragkit.answerlog import AnswerRecorder, Feedback, cache_key
from ragkit.chains.driver import Steps, adrive, alast, drive, last
from ragkit.chains.rag import RagChain, RagInput
from ragkit.chains.refusal import RefusalPolicy
from ragkit.chains.rewrite import HistoryInput
from ragkit.embeddings import VectorEmbeddings, default_embedder_spec, from_spec
from ragkit.errors import IndexNotFoundError, InvalidInputError, SourceNotFoundError
from ragkit.indexing import Indexer, IndexReport, Progress, corpus_language
from ragkit.ingest import walk
from ragkit.ingest.scan import OCR_CACHE_FILE
from ragkit.models import chat_model, trained_prompt
from ragkit.paths import index_path, indexes_dir
from ragkit.prompts import load as load_prompt
from ragkit.retrieval import hybrid_retriever, save_bm25
from ragkit.retrieval.rerank import describe_reranker, reranking
from ragkit.settings import IndexSettings, RefusalSettings, RetrievalSettings
from ragkit.store import AnnVectorStore
from ragkit.store.persist import MANIFEST, Manifest, read_manifest, write_lock
from ragkit.text import Language, detect_language

FILES_DIR = "files"
"""Folder inside the index directory for files uploaded to the knowledge base (the app's and the server's)."""
DEFAULT_SCORE_THRESHOLD = 0.25
"""Relevance threshold of embedders that were never calibrated (ragkit.embeddings.VectorEmbeddings.relevance_threshold)."""


@functools.lru_cache(maxsize=4)
def shared_embedder(spec: str | None) -> VectorEmbeddings:
    """One loaded embedder per spec in a process, shared by every knowledge base that uses it."""
    return from_spec(spec)


@functools.lru_cache(maxsize=4)
def shared_chat_model(backend: str, model: str | None, **options: Any) -> BaseChatModel:
    """One loaded chat model per configuration in a process (the backends serialize concurrent calls)."""
    return chat_model(backend, model, **options)


def list_knowledge_bases() -> list[str]:
    """Names of the built indexes under indexes/ (or $RAGKIT_INDEXES)."""
    root = indexes_dir()
    return sorted(p.name for p in root.iterdir() if (p / MANIFEST).is_file()) if root.is_dir() else []


@dataclass(frozen=True)
class _Opened:
    """What one version of the index opened: its store and the retrievers and chains built on it."""

    generation: str
    store: AnnVectorStore
    retrievers: dict[str, BaseRetriever]
    chains: dict[str, RagChain]


class KnowledgeBase:
    """A named index under indexes/ (or any directory) plus the models that answer from it; models load late."""

    def __init__(self, name: str | None = None, *, path: str | Path | None = None,
                 embedder: VectorEmbeddings | str | None = None, llm: BaseChatModel | str | None = None,
                 retrieval: RetrievalSettings | None = None, refusal: RefusalSettings | None = None,
                 cache: bool = True, events: bool = True):
        """`embedder`/`llm` may be loaded objects, or specs (an embedder spec; a model preset or path) that load
        shared instances; `retrieval` holds k, the relevance threshold and fusion for every question, `refusal` when
        it is refused (ragkit.chains.refusal). `cache`
        answers a question asked before on the same index version and settings from answers.sqlite; `events` logs
        every answer to events.sqlite (ragkit.answerlog), for `ragkit report` and feedback."""
        if (name is None) == (path is None):
            raise InvalidInputError("give exactly one of name and path")
        self.directory = Path(path) if path is not None else index_path(name)  # type: ignore[arg-type]
        self.name = name or self.directory.name
        self._embedder = embedder
        self._llm = llm
        self.retrieval = retrieval or RetrievalSettings()
        self.refusal = refusal or RefusalSettings()
        self._opened: _Opened | None = None
        self._lock = threading.RLock()
        self._prompt_cache: tuple[tuple[str, str], BasePromptTemplate] | None = None
        self.answers = AnswerRecorder(self.directory, self.name, cache=cache, events=events)

    @property
    def exists(self) -> bool:
        return (self.directory / MANIFEST).is_file()

    def built_at(self) -> float | None:
        """When the index was last written (its manifest's mtime), or None once it is gone."""
        try:
            return (self.directory / MANIFEST).stat().st_mtime
        except FileNotFoundError:
            return None

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
            self._embedder = shared_embedder(spec)
        return self._embedder

    @property
    def llm(self) -> BaseChatModel:
        """The answering model: the one given, a shared instance of the named preset or path, else the default."""
        if not isinstance(self._llm, BaseChatModel):
            self._llm = shared_chat_model("llamacpp", self._llm)
        return self._llm

    @property
    def store(self) -> AnnVectorStore:
        """The store of the index's current version; raises IndexNotFoundError if the index was never built."""
        return self._current().store

    def prepare(self, paths: Iterable[str | Path], settings: IndexSettings | None = None) -> IndexSettings:
        """The settings an indexing run of these paths uses: for a new index (or a rebuild) the corpus language is
        detected from the files and picks the default embedder, unless given (or a loaded embedder was given)."""
        settings = settings or IndexSettings()
        if self.exists and not settings.rebuild:
            return settings
        language = settings.language
        if language == "auto":  # walk and sample the files only when the language is still to be found
            language = corpus_language(walk(paths, allow_external_links=settings.follow_external_links).files,
                                       ocr_cache=self.directory / OCR_CACHE_FILE, budget=settings.reader)
        chosen = None if isinstance(self._embedder, VectorEmbeddings) else (
            self._embedder or default_embedder_spec(language))
        return settings.for_new_index(language, chosen)

    def index(self, paths: Iterable[str | Path], settings: IndexSettings | None = None,
              progress: Progress | None = None) -> IndexReport:
        """Add or update files and directories; the saved index is replaced atomically at the end."""
        paths = list(paths)
        settings = self.prepare(paths, settings)
        if settings.embedder is not None:
            self._embedder = settings.embedder
        report = Indexer(self.directory, self.embedder, settings).run(paths, progress)
        with self._lock:
            self._opened = None
        return report

    def retriever(self, retrieval: RetrievalSettings | None = None, language: Language = "en") -> BaseRetriever:
        """Dense + BM25 fused (ragkit's default retriever) with these settings (default: the knowledge base's) and
        the relevance threshold calibrated for the embedder, the question's language and the corpus'."""
        retrieval = retrieval or self.retrieval
        opened = self._current()
        key = f"{language}:{retrieval.model_dump_json()}:{self.refusal.spelling_slips}"
        with self._lock:
            if key not in opened.retrievers:
                corpus = opened.store.settings.get("language", "en")
                calibrated = self.embedder.relevance_threshold(language, corpus)
                threshold = retrieval.threshold(DEFAULT_SCORE_THRESHOLD if calibrated is None else calibrated)
                # Coverage is lexical: a question in another language than the corpus shares no terms with it.
                fused = hybrid_retriever(
                    opened.store, self.directory, k=retrieval.k, score_threshold=threshold, filter=retrieval.filter,
                    fetch_k=retrieval.fetch_k, method=retrieval.fusion, weights=list(retrieval.weights),
                    scores=language == corpus, slips=self.refusal.spelling_slips)
                opened.retrievers[key] = fused if retrieval.reranker is None else reranking(
                    fused, retrieval.reranker, retrieval.rerank_n, retrieval.rerank_weight, retrieval.k)
            return opened.retrievers[key]

    def chain(self, retrieval: RetrievalSettings | None = None, language: Language = "en", *,
              refusal: RefusalSettings | None = None, **model_params: Any) -> RagChain:
        """retrieve -> answer prompt -> model for questions in `language`; a model fine-tuned on a prompt (its
        adapter) gets that prompt. `refusal` (default: the knowledge base's) says when the no-answer reply is given;
        `model_params` (max_tokens, temperature, ...) override the prompt's model block."""
        retrieval = retrieval or self.retrieval
        retriever, opened = self.retriever(retrieval, language), self._current()
        corpus = opened.store.settings.get("language", "en")
        policy = RefusalPolicy.of(refusal or self.refusal, self.embedder.min_relevance(language, corpus),
                                  same_language=language == corpus, english=language == "en")
        budget = retrieval.budget(corpus)
        key = f"{id(retriever)}:{budget}:{policy}:{sorted(model_params.items())}"
        with self._lock:
            if key not in opened.chains:
                opened.chains[key] = RagChain(retriever=retriever, llm=self.llm, prompt=self._prompt(opened.generation),
                                              embedder=self.embedder, model_params=model_params,
                                              context_tokens=budget, refusal=policy)
            return opened.chains[key]

    def ask(self, question: str, retrieval: RetrievalSettings | None = None, *, history: HistoryInput | None = None,
            cache: bool | None = None, **model_params: Any) -> Answer:
        """Answer with citations (from the answer cache when asked before, unless `cache=False`); with `history`
        ((role, text) pairs or LangChain messages, oldest first) a follow-up is first rewritten into a standalone
        question (Answer.rewritten). A follow-up depends on its history, so it is answered afresh, not cached."""
        return last(drive(self._steps(question, retrieval, history, cache, model_params)))

    async def aask(self, question: str, retrieval: RetrievalSettings | None = None, *,
                   history: HistoryInput | None = None, cache: bool | None = None, **model_params: Any) -> Answer:
        """Answer with citations, without blocking an event loop on retrieval."""
        return await alast(adrive(self._steps(question, retrieval, history, cache, model_params)))

    def stream(self, question: str, retrieval: RetrievalSettings | None = None, *,
               history: HistoryInput | None = None, cache: bool | None = None, cache_scope: str = "",
               **model_params: Any) -> Iterator[RagEvent]:
        """TextDeltas as the answer is generated, then the Answer (a cached answer: its whole text, then it).
        Answers cached under a `cache_scope` (a caller's id) are returned to that caller only."""
        return drive(self._steps(question, retrieval, history, cache, model_params, cache_scope))

    def astream(self, question: str, retrieval: RetrievalSettings | None = None, *,
                history: HistoryInput | None = None, cache: bool | None = None,
                **model_params: Any) -> AsyncIterator[RagEvent]:
        """The async form of `stream`."""
        return adrive(self._steps(question, retrieval, history, cache, model_params))

    def feedback(self, event_id: str, rating: str | int, comment: str = "") -> Feedback:
        """Rate an answer by its `Answer.event_id`: 'up'/'down' (or +1/-1) and an optional comment."""
        return self.answers.log.feedback(event_id, rating, comment)

    def info(self) -> dict[str, Any]:
        """Manifest facts, the recorded settings and the indexed sources."""
        manifest = self.manifest()
        return {
            "name": self.name,
            "path": str(self.directory),
            "embedder": manifest.embedder,
            "embedder_spec": manifest.embedder_spec,
            "embedder_sha256": manifest.embedder_sha256,
            "dimension": manifest.dimension,
            "metric": manifest.metric,
            "factory": manifest.factory,
            "chunks": manifest.count,
            "generation": manifest.generation,
            "settings": dict(manifest.settings),
            **({"reranker": describe_reranker(self.retrieval.reranker)} if self.retrieval.reranker else {}),
            "sources": sorted(self.store.docstore.sources()),
        }

    # ----- managing the indexed files -------------------------------------------------------------------------

    @property
    def files_dir(self) -> Path:
        """Where files uploaded to the knowledge base are kept (index them from there)."""
        return self.directory / FILES_DIR

    def uploaded_name(self, source: str) -> str | None:
        """A stored source's name inside the knowledge base's files folder; None for a source indexed from elsewhere."""
        try:
            return Path(source).resolve().relative_to(self.files_dir.resolve()).as_posix()
        except (ValueError, OSError):
            return None

    def shown_source(self, source: str) -> str:
        """How a stored source is shown: an uploaded file by its name inside the knowledge base (never the server's
        absolute path), any other source as indexed."""
        return self.uploaded_name(source) or source

    def sources(self) -> list[tuple[str, int]]:
        """(shown name, chunk count) of every indexed source, sorted by name."""
        docstore = self.store.docstore
        return sorted((self.shown_source(s), len(docstore.rows_for_source(s))) for s in docstore.sources())

    def stored_source(self, source: str) -> str | None:
        """The stored form of a source given as stored or as shown; None if it is not indexed."""
        return next((s for s in self.store.docstore.sources() if source in (s, self.shown_source(s))), None)

    def delete_source(self, source: str) -> int:
        """Delete a source (as shown or stored) from the index, saving a new version, and its uploaded file;
        returns how many chunks went. SourceNotFoundError for a source that is not indexed."""
        with write_lock(self.directory):
            stored = self.stored_source(source)
            if stored is None:
                raise SourceNotFoundError(f"knowledge base {self.name!r} has no source {source!r}")
            store = AnnVectorStore.load(self.directory, self.embedder)
            removed = store.delete_by_source(stored)
            store.save(self.directory)
            save_bm25(store, self.directory)
            if self.uploaded_name(stored) is not None:
                Path(stored).unlink(missing_ok=True)
        with self._lock:
            self._opened = None
        return removed

    def reindex(self, rebuild: bool = False, progress: Progress | None = None) -> IndexReport:
        """Index again what the knowledge base holds: its uploaded files and every other indexed source still on
        disk; uploaded files deleted from the folder drop out. `rebuild` starts the index afresh."""
        others = [Path(s) for s in self.store.docstore.sources() if self.uploaded_name(s) is None]
        paths = ([self.files_dir] if self.files_dir.is_dir() else []) + [p for p in others if p.is_file()]
        return self.index(paths, IndexSettings(rebuild=rebuild), progress)

    def _prompt(self, generation: str) -> BasePromptTemplate:
        """The answer prompt (the one the model was fine-tuned on, else rag-answer), read once per index version."""
        prompt_id = trained_prompt(self.llm) or "rag-answer"
        with self._lock:
            if self._prompt_cache is None or self._prompt_cache[0] != (generation, prompt_id):
                self._prompt_cache = (generation, prompt_id), load_prompt(prompt_id)
            return self._prompt_cache[1]

    def _steps(self, question: str, retrieval: RetrievalSettings | None, history: HistoryInput | None,
               cache: bool | None, model_params: dict[str, Any], scope: str = "") -> Steps:
        """Answering through the answer cache and log (ragkit.chains.driver drives it): the cache key now, the chain
        that answers a miss only on a miss (a hit loads neither the embedder nor the index)."""
        settings = retrieval or self.retrieval
        generation = self.manifest().generation
        key = cache_key(generation, question, settings, self.llm, self._prompt(generation), model_params, scope=scope,
                        refusal=self.refusal)

        def chain() -> RagChain:
            return self.chain(settings, detect_language(question), **model_params)

        return self.answers.steps(key, question, chain, _input(question, history), _caching(cache, history))

    def _current(self) -> _Opened:
        """The opened version of the index, reopened when the saved generation changed."""
        generation = self.manifest().generation
        with self._lock:
            if self._opened is None or self._opened.generation != generation:
                store = AnnVectorStore.load(self.directory, self.embedder)
                self._opened = _Opened(generation, store, {}, {})
            return self._opened


def _input(question: str, history: HistoryInput | None) -> RagInput:
    return {"question": question, "history": history} if history else question


def _caching(cache: bool | None, history: HistoryInput | None) -> bool | None:
    """Follow-ups skip the answer cache (its key would need the rewrite, a model call); they are still logged."""
    return False if history else cache
