"""SIGKILL in the middle of `ragkit index`: the saved index still answers, and a rerun re-embeds nothing cached."""

import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ragkit.embeddings import HashingEmbeddings
from ragkit.store import AnnVectorStore

pytestmark = pytest.mark.integration


def _cli(indexes: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "ragkit.cli", *args]


def _cached(cache: Path) -> int:
    if not cache.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{cache}?mode=ro", uri=True, timeout=1) as db:
            return db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def test_killed_index_run_keeps_old_index_and_resumes(tmp_path: Path):
    env = {**os.environ, "RAGKIT_INDEXES": str(tmp_path / "indexes"), "HF_HUB_OFFLINE": "1"}
    first = tmp_path / "first"
    first.mkdir()
    (first / "policy.md").write_text("The refund window is thirty days from delivery.")
    subprocess.run(_cli(tmp_path, "index", str(first), "--index", "kb", "--embedder", "hashing"), env=env,
                   check=True, capture_output=True, cwd=tmp_path)
    directory = tmp_path / "indexes" / "kb"
    cache = directory / "embeddings.sqlite"
    before = _cached(cache)

    bulk = tmp_path / "bulk"
    bulk.mkdir()
    for i in range(150):
        (bulk / f"doc{i:03d}.txt").write_text(
            "\n\n".join(f"Document {i} section {j}: " + " ".join(f"t{i}_{j}_{w}" for w in range(120))
                        for j in range(20)))
    command = _cli(tmp_path, "index", str(first), str(bulk), "--index", "kb")
    proc = subprocess.Popen(command, env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    while _cached(cache) <= before + 256 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert proc.poll() is None, "indexing finished before it could be killed: make the corpus bigger"
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    partial = _cached(cache) - before
    assert partial > 0

    store = AnnVectorStore.load(directory, HashingEmbeddings(256))
    assert len(store) == 1
    assert "refund window" in store.similarity_search("refund window", k=1)[0].page_content

    done = subprocess.run(command, env=env, cwd=tmp_path, capture_output=True, text=True, check=True)
    match = re.search(r"(\d+) new chunks, (\d+) embedded, (\d+) in index", done.stdout)
    assert match, done.stdout
    new, embedded, total = map(int, match.groups())
    assert embedded == new - partial
    assert total == new + 1
