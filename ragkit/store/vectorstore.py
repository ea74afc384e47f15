"""ragkit's FAISS vector store behind LangChain's VectorStore interface, saved without pickle."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings
from langchain_core.vectorstores import VectorStore
from langchain_core.vectorstores.utils import maximal_marginal_relevance

from ragkit.embeddings.base import VectorEmbeddings
from ragkit.errors import IndexFormatError
from ragkit.store import persist
from ragkit.store.ann import DEFAULT_BACKEND, AnnIndex, ann_backend
from ragkit.store.docstore import DocStore, StoredDoc


class AnnVectorStore(VectorStore):
    """Cosine-similarity store (FAISS unless another ANN backend is named): upsert and delete by id or source on every
    index type, filters inside search."""

    def __init__(self, embedding: Embeddings, factory: str = "Flat", *, backend: str = DEFAULT_BACKEND,
                 index: AnnIndex | None = None, docs: DocStore | None = None, settings: dict[str, Any] | None = None):
        self._embedding = embedding
        self._factory = factory
        self._backend = backend
        self._ann = ann_backend(backend)
        self._index = index
        self._docs = docs if docs is not None else DocStore.in_memory()
        self._settings = persist.settings_json(settings) if settings is not None else {}
        self._lock = threading.RLock()

    @property
    def embeddings(self) -> Embeddings:
        return self._embedding

    @property
    def docstore(self) -> DocStore:
        return self._docs

    @property
    def index(self) -> AnnIndex | None:
        """The vector index (None until the first add), e.g. to tune a FaissIndex's `set_search_params`."""
        return self._index

    @property
    def factory(self) -> str:
        return self._index.factory if self._index is not None else self._factory

    @property
    def backend(self) -> str:
        """Name of the ANN backend (ragkit.store.ann registry)."""
        return self._backend

    @property
    def settings(self) -> dict[str, Any]:
        """The settings recorded in the manifest by the last load or save (a copy)."""
        return dict(self._settings)

    def __len__(self) -> int:
        return len(self._docs)

    def training_size(self) -> int:
        """Vectors the first add should bring so an untrained IVF/PQ index trains on enough of them (0: none needed)."""
        if self._index is None:
            return self._ann.create(self._dimension(), self._factory).training_size()
        return self._index.training_size()

    # ----- writing -------------------------------------------------------------------------------------------

    def add_texts(self, texts: Iterable[str], metadatas: list[dict] | None = None, *,
                  ids: list[str] | None = None, **kwargs: Any) -> list[str]:
        """Embed and upsert texts; an existing id is replaced (a missing or empty id gets a new one)."""
        texts = list(texts)
        return self.add_vectors(self._embed(texts, query=False), texts, metadatas, ids)

    def add_vectors(self, vectors: np.ndarray, texts: list[str], metadatas: list[dict] | None = None,
                    ids: Sequence[str | None] | None = None) -> list[str]:
        """Upsert precomputed vectors (the indexer's path, which embeds through the cache)."""
        metadatas = [dict(m) for m in metadatas] if metadatas else [{} for _ in texts]
        given: Sequence[str | None] = ids or [None] * len(texts)
        doc_ids = [i or uuid.uuid4().hex for i in given]
        if not len(doc_ids) == len(texts) == len(metadatas) == len(vectors):
            raise ValueError("texts, metadatas, ids and vectors must have the same length")
        if len(set(doc_ids)) != len(doc_ids):
            raise ValueError("ids must be unique within one call")
        vectors = _normalized(np.asarray(vectors, dtype=np.float32))
        with self._lock:
            self._delete_rows(list(self._docs.rows_for_ids(doc_ids).values()))
            if self._index is None:
                self._index = self._ann.create(vectors.shape[1], self._factory)
            elif vectors.shape[1] != self._index.dimension:
                raise ValueError(f"vectors have dimension {vectors.shape[1]}, the index {self._index.dimension}")
            rows = self._docs.next_rows(len(doc_ids))
            self._index.add(np.asarray(rows, dtype=np.int64), vectors)
            self._docs.add(rows, doc_ids, texts, metadatas)
        return doc_ids

    def delete(self, ids: list[str] | None = None, **kwargs: Any) -> bool | None:
        """Delete documents by id; unknown ids are ignored."""
        if ids is None:
            return False
        with self._lock:
            self._delete_rows(list(self._docs.rows_for_ids(ids).values()))
        return True

    def delete_by_source(self, source: str) -> int:
        """Delete every chunk of a source file; returns how many."""
        with self._lock:
            rows = self._docs.rows_for_source(source)
            self._delete_rows(rows)
            self._docs.set_source(source, None)
        return len(rows)

    def _delete_rows(self, rows: list[int]) -> None:
        if rows and self._index is not None:
            self._index.remove(rows)
            self._docs.remove_rows(rows)
            self._docs.set_tombstones(self._index.tombstones)

    # ----- reading -------------------------------------------------------------------------------------------

    def get_by_ids(self, ids: Sequence[str], /) -> list[Document]:
        return [_document(d) for d in self._docs.by_ids(list(ids))]

    def similarity_search(self, query: str, k: int = 4, filter: dict | None = None, **kwargs: Any) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k, filter=filter)]

    def similarity_search_with_score(self, query: str, k: int = 4, filter: dict | None = None,
                                     **kwargs: Any) -> list[tuple[Document, float]]:
        """Top-k documents with cosine similarity; `filter` ({key: value or [values]}) applies inside the search."""
        return self.similarity_search_with_score_by_vector(self._embed([query], query=True)[0], k, filter=filter)

    def similarity_search_by_vector(self, embedding: list[float], k: int = 4, filter: dict | None = None,
                                    **kwargs: Any) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score_by_vector(embedding, k, filter=filter)]

    def similarity_search_with_score_by_vector(self, embedding: list[float] | np.ndarray, k: int = 4,
                                               filter: dict | None = None) -> list[tuple[Document, float]]:
        hits = self._search(np.asarray(embedding, dtype=np.float32), k, filter)
        return [(_document(doc), score) for doc, score, _ in hits]

    def _search(self, vector: np.ndarray, k: int, filter: dict | None) -> list[tuple[StoredDoc, float, int]]:
        if self._index is None:
            return []
        with self._lock:
            allowed = np.asarray(self._docs.filter_rows(filter), dtype=np.int64) if filter else None
            if allowed is not None and len(allowed) == 0:
                return []
            scores, rows = self._index.search(_normalized(vector.reshape(1, -1)), k, allowed)
            found = self._docs.by_rows(int(r) for r in rows[0] if r >= 0)
        return [(found[int(r)], float(s), int(r)) for s, r in zip(scores[0], rows[0]) if int(r) in found]

    def _select_relevance_score_fn(self):  # LangChain's signature
        return lambda score: max(0.0, min(1.0, score))

    def max_marginal_relevance_search(self, query: str, k: int = 4, fetch_k: int = 20, lambda_mult: float = 0.5,
                                      filter: dict | None = None, **kwargs: Any) -> list[Document]:
        vector = self._embed([query], query=True)[0]
        return self.max_marginal_relevance_search_by_vector(vector, k, fetch_k, lambda_mult, filter=filter)

    def max_marginal_relevance_search_by_vector(self, embedding: list[float] | np.ndarray, k: int = 4,
                                                fetch_k: int = 20, lambda_mult: float = 0.5,
                                                filter: dict | None = None, **kwargs: Any) -> list[Document]:
        hits = self._search(np.asarray(embedding, dtype=np.float32), fetch_k, filter)
        if not hits:
            return []
        with self._lock:
            candidates = self._index.reconstruct([row for _, _, row in hits])  # type: ignore[union-attr]
        chosen = maximal_marginal_relevance(np.asarray(embedding), candidates,  # type: ignore[arg-type]  # any matrix
                                            lambda_mult=lambda_mult, k=k)
        return [_document(hits[i][0]) for i in chosen]

    @classmethod
    def from_texts(cls, texts: list[str], embedding: Embeddings, metadatas: list[dict] | None = None, *,
                   ids: list[str] | None = None, factory: str = "Flat", backend: str = DEFAULT_BACKEND,
                   **kwargs: Any) -> AnnVectorStore:
        store = cls(embedding, factory, backend=backend)
        store.add_texts(texts, metadatas, ids=ids)
        return store

    # ----- persistence ---------------------------------------------------------------------------------------

    def save(self, directory: str | Path, settings: dict[str, Any] | None = None) -> None:
        """Atomically save to a directory (vector index + SQLite + manifest written last), under its write lock;
        `settings` (a JSON object) is recorded in the manifest, None keeps the ones loaded or saved before."""
        with self._lock:
            if settings is not None:
                self._settings = persist.settings_json(settings)
            index = self._index if self._index is not None else self._ann.create(self._dimension(), self._factory)
            ours = self._embedding if isinstance(self._embedding, VectorEmbeddings) else None
            spec, digest = (ours.spec, ours.sha256) if ours is not None else ("", "")
            manifest = persist.Manifest(embedder=_embedder_id(self._embedding), embedder_spec=spec,
                                        embedder_sha256=digest,
                                        dimension=index.dimension, factory=index.factory, count=len(self._docs),
                                        backend=self._backend, settings=self._settings)
            persist.write_generation(Path(directory), manifest, {
                index.file_name: index.save,
                persist.DOCSTORE_FILE: self._docs.save_to,
            })

    @classmethod
    def load(cls, directory: str | Path, embedding: Embeddings) -> AnnVectorStore:
        """Load a saved store; refuses an index built with another embedding model, and raises IndexFormatError
        naming the problem when any file is damaged or the files disagree with each other or the manifest."""
        directory = Path(directory)

        def read(manifest: persist.Manifest, files: dict[str, Path]) -> AnnVectorStore:
            expected = _embedder_id(embedding)
            if manifest.embedder != expected:
                raise IndexFormatError(
                    f"index {directory.name} was built with embedder {manifest.embedder!r}, not {expected!r}: "
                    "load it with the same embedding model or rebuild it"
                )
            ann = ann_backend(manifest.backend)
            missing = sorted({ann.file_name, persist.DOCSTORE_FILE} - set(files))
            if missing:
                raise ValueError(f"{persist.MANIFEST} lists no {', '.join(missing)}")
            docs = DocStore.load(files[persist.DOCSTORE_FILE])
            docs.check()
            index = ann.load(files[ann.file_name], manifest.factory, docs.tombstones())
            _check_agree(manifest, index, docs, embedding)
            return cls(embedding, manifest.factory, backend=manifest.backend, index=index, docs=docs,
                       settings=manifest.settings)

        return persist.load_generation(directory, read)

    def _dimension(self) -> int:
        if isinstance(self._embedding, VectorEmbeddings):
            return self._embedding.dimension
        return len(self._embedding.embed_query("dimension probe"))

    def _embed(self, texts: list[str], query: bool) -> np.ndarray:
        if isinstance(self._embedding, VectorEmbeddings):
            return self._embedding.embed_query_array(texts) if query else self._embedding.embed_array(texts)
        if query:
            return np.asarray([self._embedding.embed_query(t) for t in texts], dtype=np.float32)
        return np.asarray(self._embedding.embed_documents(texts), dtype=np.float32)


def _check_agree(manifest: persist.Manifest, index: AnnIndex, docs: DocStore, embedding: Embeddings) -> None:
    """Raise ValueError unless the manifest, the vector index and the docstore describe the same chunks."""
    dimensions = {"manifest": manifest.dimension, "vector index": index.dimension}
    if isinstance(embedding, VectorEmbeddings):
        dimensions["embedder"] = embedding.dimension
    if len(set(dimensions.values())) > 1:
        raise ValueError(f"dimensions disagree: {dimensions}")
    counts = {"manifest": manifest.count, "vector index": len(index), "docstore": len(docs)}
    if len(set(counts.values())) > 1:
        raise ValueError(f"chunk counts disagree: {counts}")
    if not np.array_equal(np.sort(index.ids()), docs.rows()):
        raise ValueError("the vector index's ids are not the docstore's rows")


def _embedder_id(embedding: Embeddings) -> str:
    if isinstance(embedding, VectorEmbeddings):
        return embedding.model_id
    return f"{type(embedding).__module__}.{type(embedding).__qualname__}"


def _normalized(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return (vectors / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def _document(doc: StoredDoc) -> Document:
    return Document(page_content=doc.text, metadata=doc.metadata, id=doc.id)
