"""Typed settings of indexing and retrieval: one set of defaults, validated once, recorded in the index manifest.

The fields that shape what an index stores (chunking, FAISS factory, embedder) are recorded when an index is first
built; updating it with different ones is refused with a message saying how to rebuild, so an index never mixes
two chunkings or silently ignores an option.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ragkit.errors import InvalidInputError, SettingsMismatchError

RECORDED_INDEX_FIELDS = ("chunk_tokens", "overlap_tokens", "language", "backend", "factory", "embedder")
"""IndexSettings fields that change what an index stores; the others only change how a run goes."""
LEGACY_INDEX_SETTINGS: dict[str, Any] = {"chunk_tokens": 100, "overlap_tokens": 16, "backend": "faiss", "language": "en"}
"""What indexes written before settings were recorded were built with (the CLI's defaults then)."""
SettingsT = TypeVar("SettingsT", bound=BaseModel)
CHUNK_DEFAULTS: dict[str, tuple[int, int]] = {"en": (100, 16), "zh": (200, 32), "mixed": (200, 32)}
"""(chunk_tokens, overlap_tokens) by corpus language: multilingual-e5 counts ~0.75 tokens per Chinese character."""
BEIR_CHUNKING: tuple[int, int] = (200, 32)
"""(chunk_tokens, overlap_tokens) of `ragkit eval retrieval` and retrieval training on BEIR corpora: deliberately not
CHUNK_DEFAULTS['en'] (what `ragkit index` builds for English, 100/16), because the published SciFact figures
(nDCG@10 0.738 on test, the fusion weights, docs/retrieval-training.md) were measured on it; `--chunk-tokens 100`
measures the indexer's English chunk size."""
CONTEXT_DEFAULTS: dict[str, int] = {"en": 275}
"""Context budget by corpus language: on SQuAD articles as files (360 questions, k=4 chunks of 100 tokens) the
gold answer is in the budgeted passages as often as in the whole ones (96.9%) with 11% fewer tokens
(benchmarks/context_budget.py). Not measured on Chinese corpora yet: their passages stay whole."""


class ReaderBudget(BaseModel):
    """What reading one file may cost before it is skipped with a reason (ragkit.ingest.reader): a bomb or a stuck
    parser must not swell or hang the indexer, the server or the app."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    seconds: float = Field(300.0, gt=0)
    """Longest time without progress (a finished file, or an OCR'd page of a scan)."""
    memory_mb: int = Field(1024, ge=256)
    """Most memory reading one file may add (the reader's data segment beyond what it starts with)."""


class IndexSettings(BaseModel):
    """How `ragkit index` reads, splits, embeds and stores files."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    chunk_tokens: int | None = Field(None, ge=8, le=8192)
    """Chunk size in the embedding model's tokens; None: CHUNK_DEFAULTS for the corpus language (Chinese chunks
    of ~270 characters, the length Chinese knowledge-base tools use)."""
    overlap_tokens: int | None = Field(None, ge=0)
    """Tokens shared by neighbouring chunks, so a fact cut at a boundary is whole in one of them; None: the
    language's default."""
    language: Literal["auto", "en", "zh", "mixed"] = "auto"
    """Corpus language: picks the default embedder, chunk size and relevance threshold; 'auto' detects it from
    the files when the index is first built."""
    backend: str = "faiss"
    """ANN backend (ragkit.store.ann registry) that holds the vectors."""
    factory: str = "auto"
    """FAISS factory string (e.g. 'Flat', 'IVF1024,Flat', 'HNSW32'), or 'auto' to choose by corpus size."""
    embedder: str | None = None
    """Embedder spec (see ragkit.embeddings.from_spec); None: the one the index was built with, else the default."""
    batch_chunks: int = Field(2048, ge=1)
    """Chunks read, embedded and added per group: memory follows the group, not the corpus."""
    workers: int = Field(0, ge=0)
    """Reader processes that load and split files while the embedder runs (0: read in this process)."""
    follow_external_links: bool = False
    """Follow symlinks that point outside the given files and folders (off: they are skipped with a reason)."""
    reader: ReaderBudget | None = ReaderBudget()
    """Time and memory each file (but plain text) may take to read, in a child process; None reads in this
    process without limits."""
    rebuild: bool = False
    """Start the index afresh from the given paths (embeddings already computed are reused from the cache)."""

    @model_validator(mode="after")
    def _check(self) -> IndexSettings:
        chunk, overlap = self.chunking()
        if overlap >= chunk:
            raise ValueError("overlap_tokens must be smaller than chunk_tokens")
        return self

    def chunking(self) -> tuple[int, int]:
        """(chunk_tokens, overlap_tokens) in force: the given ones, else the corpus language's defaults."""
        chunk, overlap = CHUNK_DEFAULTS["en" if self.language == "auto" else self.language]
        chunk = self.chunk_tokens or chunk
        return chunk, min(overlap, chunk // 4) if self.overlap_tokens is None else self.overlap_tokens

    def recorded(self, factory: str, embedder: str) -> dict[str, Any]:
        """The settings to record in a new index's manifest, with the factory and embedder actually used."""
        chunk, overlap = self.chunking()
        return {"chunk_tokens": chunk, "overlap_tokens": overlap, "language": self.language, "backend": self.backend,
                "factory": factory, "embedder": embedder}

    def adopt(self, recorded: dict[str, Any], index: str) -> IndexSettings:
        """These settings for updating an index built with `recorded`: fields not set explicitly take the recorded
        values; an explicit value that differs is refused ('auto' factory accepts any)."""
        saved = {**LEGACY_INDEX_SETTINGS, **{k: v for k, v in recorded.items() if v not in (None, "")}}
        explicit = {key: getattr(self, key) for key in RECORDED_INDEX_FIELDS
                    if key in self.model_fields_set and getattr(self, key) not in ("auto", None)}
        differ = [f"{key}={value!r} (the index has {saved[key]!r})" for key, value in explicit.items()
                  if key in saved and saved[key] != value]
        if differ:
            raise SettingsMismatchError(
                f"index {index!r} was built with other settings: {', '.join(differ)}; rebuild it with the same "
                "command plus --rebuild, or index into a new --index name"
            )
        update: dict[str, Any] = {key: saved[key] for key in ("chunk_tokens", "overlap_tokens", "language", "backend")
                                  if key in saved and key not in explicit}
        return self.model_copy(update=update)

    def for_new_index(self, language: str, embedder: str | None) -> IndexSettings:
        """These settings for a first build: the detected corpus language (unless given) and its default embedder
        (unless one is given or `embedder` is None, i.e. the caller brings a loaded one)."""
        update: dict[str, Any] = {}
        if self.language == "auto":
            update["language"] = language
        if self.embedder is None and embedder is not None:
            update["embedder"] = embedder
        return self.model_copy(update=update)


def validated(model: type[SettingsT], /, **values: Any) -> SettingsT:
    """Build settings from user input, turning validation errors into one InvalidInputError naming the field."""
    try:
        return model(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or model.__name__
        raise InvalidInputError(f"{where}: {first['msg']}") from None


Fusion = Literal["rrf", "score"]
RERANK_N = 20
"""Fused hits a reranker reorders by default (SciFact train/dev split, docs/retrieval-training.md: N 10/20/30 gave
dev nDCG@10 0.758/0.766/0.762 at weight 0.3)."""
RERANK_WEIGHT = 0.3
"""Share of the reranker's normalized score in the final order by default (same split: 0.3 best; 0.7, the first
guess, fell to 0.690 against 0.758 without a reranker)."""


class RetrievalSettings(BaseModel):
    """How a knowledge base retrieves passages for a question."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    k: int = Field(4, ge=1, le=100)
    """Passages given to the model."""
    score_threshold: float | Literal["auto"] | None = "auto"
    """Cosine similarity below which a dense hit is not relevant (no hit left: no model call); 'auto' uses the
    embedder's calibrated threshold, None keeps every hit."""
    fetch_k: int = Field(50, ge=1)
    """Candidates taken from each retriever before fusion."""
    fusion: Fusion = "score"
    """'score': weighted sum of per-query min-max normalized scores; 'rrf': weighted reciprocal rank fusion."""
    weights: tuple[float, float] = (0.5, 0.5)
    """Weights of the dense and BM25 retrievers (chosen on SciFact train: nDCG@10 0.739 vs RRF 0.723)."""
    filter: dict[str, Any] | None = None
    """Metadata filter applied inside every search, e.g. {'source': ['a.pdf', 'b.md']}."""
    context_tokens: Annotated[int, Field(ge=1)] | Literal["auto"] | None = "auto"
    """Tokens of passage text given to the model (the embedder's tokens): passages over it are cut to the
    sentences matching the question and their neighbours (ragkit.chains.budget); 'auto': CONTEXT_DEFAULTS for the
    corpus language; None: the k passages whole."""
    reranker: str | None = None
    """Directory of a cross-encoder trained by `ragkit finetune reranker`: it reorders the top `rerank_n` fused
    chunks before the k best are kept (ragkit.retrieval.rerank); None: no reranking."""
    rerank_n: int = Field(RERANK_N, ge=1, le=200)
    """Fused chunks the reranker scores (its cost grows with them: docs/retrieval-training.md)."""
    rerank_weight: float = Field(RERANK_WEIGHT, ge=0, le=1)
    """Share of the reranker's normalized score in the order; the rest is the fused score's."""

    def budget(self, corpus: str) -> int | None:
        """The context budget in force for a corpus in this language: the explicit one, else its default."""
        return CONTEXT_DEFAULTS.get(corpus) if self.context_tokens == "auto" else self.context_tokens

    def threshold(self, calibrated: float | None) -> float | None:
        """The relevance threshold in force: the explicit one, else the embedder's calibrated one."""
        return calibrated if self.score_threshold == "auto" else self.score_threshold



class RefusalSettings(BaseModel):
    """When a knowledge base answers the no-answer reply instead of the model's (ragkit.chains.refusal): every
    check that refuses a question, in one place."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    min_relevance: float | Literal["auto"] | None = "auto"
    """Refuse a question whose best dense cosine + 0.6 x best coverage of its terms by one or two adjacent
    sentences of the top chunks is below this (ragkit.retrieval.hybrid.HybridRetriever.relevance), for questions
    in the corpus' language; 'auto': the embedder's calibrated value (the packaged MiniLM: 0.62 for English), none
    where uncalibrated; None: off."""
    min_coverage: float | None = Field(None, ge=0, le=1)
    """Refuse a question whose terms (weighted by rarity) the top chunks cover less than this share of, for
    questions in the corpus' language (ragkit.retrieval.hybrid.MIN_COVERAGE); off by default."""
    require_names: bool = True
    """Refuse (no model call) a question naming something, a capitalized name, that no retrieved passage mentions,
    unless its relevance is at least `names_relevance`, for English questions over an English corpus: on SQuAD
    articles as files, with min_relevance, 91.7% of questions about other articles are refused instead of 89.6%,
    and 1.9% of answerable ones instead of 1.5%."""
    names_relevance: float | None = 0.8
    """With require_names, a missing name refuses only a question whose relevance is below this (ragkit.chains.
    grounding.NAMES_RELEVANCE); None: whatever its relevance."""
    spelling_slips: bool = True
    """A question's word one or two letters (a Chinese character) away from a passage's ('Ghandi' for 'Gandhi',
    '温空器' for '温控器') counts as that word in the name and coverage checks (ragkit.text.slip_of)."""
    unanswered_quote: bool = False
    """When the guardrail rejects the reply and no passage sentence states what was asked (ragkit.chains.refusal.
    answers_question), answer with that sentence anyway (the guardrail's quote); off: the no-answer reply."""

    def relevance(self, calibrated: float | None) -> float | None:
        """The least relevance in force: the explicit one, else the embedder's calibrated one."""
        return calibrated if self.min_relevance == "auto" else self.min_relevance
