"""Light commands import nothing heavy: `ragkit --help` and `ragkit info` load no torch, transformers,
sentence-transformers or llama.cpp (checked in a fresh interpreter's sys.modules)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import EXAMPLES_KB, REPO

pytestmark = pytest.mark.unit
HEAVY = ("torch", "transformers", "sentence_transformers", "llama_cpp")
_RUN = """
import json, sys
from ragkit.cli import app
try:
    app(sys.argv[2:])
except SystemExit as exit:
    code = exit.code
heavy = sorted({name.split(".")[0] for name in sys.modules} & set(sys.argv[1].split(",")))
print("\\n" + json.dumps({"code": code, "heavy": heavy}))
"""


def heavy_imports(*args: str, env: dict[str, str] | None = None) -> list[str]:
    """The heavy packages a `ragkit ARGS` run imported (it must exit 0)."""
    done = subprocess.run([sys.executable, "-c", _RUN, *args], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO), "HF_HUB_OFFLINE": "1", **(env or {})})
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] in (0, None), done.stdout + done.stderr
    return report["heavy"]


def test_help_loads_no_torch() -> None:
    assert heavy_imports(",".join(HEAVY), "--help") == []


def test_info_loads_no_model(tmp_path: Path) -> None:
    from ragkit.kb import KnowledgeBase

    KnowledgeBase(path=tmp_path / "t", embedder="hashing").index([EXAMPLES_KB])
    assert heavy_imports(",".join(HEAVY), "info", "--index", "t", env={"RAGKIT_INDEXES": str(tmp_path)}) == []
