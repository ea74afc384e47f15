"""Two `ragkit index` processes on one index with different folders: the second waits, both folders end up in it."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ragkit.embeddings import HashingEmbeddings
from ragkit.store import AnnVectorStore

pytestmark = pytest.mark.integration


def _folder(root: Path, name: str, files: int) -> Path:
    folder = root / name
    folder.mkdir()
    for i in range(files):
        (folder / f"{name}-{i}.md").write_text(f"{name} file {i}: " + " ".join(f"{name}{i}w{j}" for j in range(300)))
    return folder


def test_concurrent_writers_lose_nothing(tmp_path: Path):
    env = {**os.environ, "RAGKIT_INDEXES": str(tmp_path / "indexes"), "HF_HUB_OFFLINE": "1"}
    folders = [_folder(tmp_path, "left", 40), _folder(tmp_path, "right", 40)]
    procs = [subprocess.Popen([sys.executable, "-m", "ragkit.cli", "index", str(folder), "--index", "shared",
                               "--embedder", "hashing"], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              text=True) for folder in folders]
    outputs = [proc.communicate(timeout=300)[0] for proc in procs]
    assert [proc.returncode for proc in procs] == [0, 0], outputs
    store = AnnVectorStore.load(tmp_path / "indexes" / "shared", HashingEmbeddings(256))
    names = {Path(source).parent.name for source in store.docstore.sources()}
    assert names == {"left", "right"} and len(store.docstore.sources()) == 80
    assert not list((tmp_path / "indexes" / "shared").glob(".staging-*"))
