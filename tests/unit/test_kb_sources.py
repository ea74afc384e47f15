"""KnowledgeBase's file management, the one copy the app and the server use: sources by their name inside the
knowledge base with chunk counts, delete a source (and its uploaded file), re-index what is left."""

from pathlib import Path

import pytest

from ragkit.errors import SourceNotFoundError
from ragkit.indexing import display_source
from ragkit.kb import KnowledgeBase
from tests.helpers import EXAMPLES_KB
from tests.scripted_model import ScriptedChatModel

pytestmark = pytest.mark.unit


def test_sources_delete_and_reindex(tmp_path: Path, hashing):
    kb = KnowledgeBase(path=tmp_path / "kb", embedder=hashing, llm=ScriptedChatModel.saying("x"))
    kb.files_dir.mkdir(parents=True)
    for name in ("security.txt", "说明.md"):
        (kb.files_dir / name).write_bytes((EXAMPLES_KB / "security.txt").read_bytes())
    outside = display_source(EXAMPLES_KB / "release-notes.md")
    kb.index([kb.files_dir, EXAMPLES_KB / "release-notes.md"])
    sources = dict(kb.sources())
    assert sorted(sources) == sorted(["security.txt", "说明.md", outside])  # uploads by name, never the full path
    assert all(count > 0 for count in sources.values()) and kb.manifest().count == sum(sources.values())
    assert kb.stored_source("说明.md") == str(kb.files_dir / "说明.md") and kb.stored_source("nope.md") is None

    assert kb.delete_source("security.txt") == sources["security.txt"]
    assert not (kb.files_dir / "security.txt").exists() and "security.txt" not in dict(kb.sources())
    assert all(not c.source.endswith("/security.txt") for c in kb.chain().retrieve("password characters"))
    with pytest.raises(SourceNotFoundError, match="has no source 'security.txt'"):
        kb.delete_source("security.txt")

    (kb.files_dir / "说明.md").unlink()  # deleted from the folder: the re-index drops it, keeps the outside file
    report = kb.reindex()
    assert report.removed_files == 1 and [s for s, _ in kb.sources()] == [outside]
    assert kb.reindex(rebuild=True).chunks == sources[outside]
