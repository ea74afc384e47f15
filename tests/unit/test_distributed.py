"""ray_index's checks that need no Ray cluster: an existing index is refused, a missing Ray says what to install."""

import sys
from pathlib import Path

import pytest

from ragkit.distributed import ray_index
from ragkit.errors import InvalidInputError, RagkitError
from ragkit.indexing import Indexer
from tests.helpers import EXAMPLES_KB

pytestmark = pytest.mark.unit


def test_existing_index_is_refused(tmp_path: Path, hashing):
    Indexer(tmp_path / "idx", hashing).run([EXAMPLES_KB])
    with pytest.raises(InvalidInputError, match="already holds an index"):
        ray_index([EXAMPLES_KB], tmp_path / "idx", hashing.spec)


def test_missing_ray_says_what_to_install(tmp_path: Path, hashing, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` raise ImportError
    with pytest.raises(RagkitError, match=r"install ragkit\[ray\]"):
        ray_index([EXAMPLES_KB], tmp_path / "idx", hashing.spec)
    assert not (tmp_path / "idx").exists()
