"""Functions run in spawned processes by test_concurrency.py (a module of their own, so children can import them)."""

from __future__ import annotations

import time
from multiprocessing.synchronize import Event
from pathlib import Path

from ragkit.embeddings import HashingEmbeddings
from ragkit.errors import IndexNotFoundError
from ragkit.store import AnnVectorStore
from ragkit.store.persist import write_lock

DIM = 64


def add_source(directory: str, source: str, n: int) -> None:
    """Read-modify-write of the index under its write lock: load, add n chunks of `source`, save."""
    with write_lock(Path(directory), wait=120):
        try:
            store = AnnVectorStore.load(directory, HashingEmbeddings(DIM))
        except IndexNotFoundError:
            store = AnnVectorStore(HashingEmbeddings(DIM))
        time.sleep(0.3)  # a slow embedding step: the other writer is ready and waiting meanwhile
        store.add_texts([f"{source} chunk {i}" for i in range(n)], [{"source": source}] * n,
                        ids=[f"{source}-{i}" for i in range(n)])
        store.save(directory)


def hold_lock(directory: str, locked: Event, release: Event) -> None:
    """Take the write lock, say so, and keep it until told to let go."""
    with write_lock(Path(directory), wait=False):
        locked.set()
        release.wait(60)
