"""SQLite cache of embeddings keyed by model and content hash, committed per batch so killed runs keep their work."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path

import numpy as np

from ragkit.embeddings.base import VectorEmbeddings


class EmbeddingCache:
    """Vectors already computed, so re-indexing unchanged text embeds nothing."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS embeddings (model TEXT, hash TEXT, vector BLOB, PRIMARY KEY (model, hash))"
        )
        self._db.commit()

    def get(self, model: str, hashes: list[str]) -> dict[str, np.ndarray]:
        """Cached vectors for those hashes that have one."""
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for begin in range(0, len(hashes), 500):
                part = hashes[begin : begin + 500]
                marks = ",".join("?" * len(part))
                rows = self._db.execute(
                    f"SELECT hash, vector FROM embeddings WHERE model = ? AND hash IN ({marks})", [model, *part]
                )
                found.update((h, np.frombuffer(v, dtype=np.float32)) for h, v in rows)
        return found

    def put(self, model: str, hashes: list[str], vectors: np.ndarray) -> None:
        """Store vectors and commit at once."""
        with self._lock:
            self._db.executemany(
                "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?)",
                [(model, h, np.ascontiguousarray(v, dtype=np.float32).tobytes()) for h, v in zip(hashes, vectors)],
            )
            self._db.commit()

    def embed(
        self,
        embedder: VectorEmbeddings,
        texts: list[str],
        hashes: list[str],
        batch: int = 256,
        progress: Callable[[int], None] | None = None,
    ) -> tuple[np.ndarray, int]:
        """Vectors for texts, embedding only cache misses (saved per batch); returns them and the count embedded."""
        model = embedder.document_model_id
        cached = self.get(model, list(set(hashes)))
        out = np.empty((len(texts), embedder.dimension), dtype=np.float32)
        missing: dict[str, int] = {}
        for row, digest in enumerate(hashes):
            if digest in cached:
                out[row] = cached[digest]
            else:
                missing.setdefault(digest, row)
        if progress and len(texts) - len(missing):
            progress(len(texts) - len(missing))
        todo = list(missing.items())
        for begin in range(0, len(todo), batch):
            part = todo[begin : begin + batch]
            vectors = embedder.embed_array([texts[row] for _, row in part], progress)
            self.put(model, [digest for digest, _ in part], vectors)
            for (digest, _), vector in zip(part, vectors):
                cached[digest] = vector
        for row, digest in enumerate(hashes):
            if digest in missing:
                out[row] = cached[digest]
        return out, len(missing)

    def close(self) -> None:
        with self._lock:
            self._db.close()
