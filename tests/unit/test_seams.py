"""Extensions through the public seams only: a toy loader indexed end to end, without editing ragkit modules."""

from pathlib import Path

import pytest

from ragkit.ingest import Page, register_loader, supported_suffixes
from ragkit.kb import KnowledgeBase
from ragkit.settings import IndexSettings
from tests.helpers import EXAMPLES_KB

pytestmark = pytest.mark.unit


def load_toy(path: Path) -> list[Page]:
    """A '.leaf' file: one page per line of 'PAGE|text'."""
    pages = [line.split("|", 1) for line in path.read_text().splitlines() if line.strip()]
    return [Page(text, int(number), label=f"leaf {number}") for number, text in pages]


@pytest.fixture()
def toy_registered() -> None:
    register_loader(".leaf", load_toy)  # process-wide, as a plugin would; registering the same loader again is a no-op


def test_a_toy_loader_is_indexed_searched_and_cited_by_page(tmp_path: Path, hashing, toy_registered):
    assert ".leaf" in supported_suffixes()
    (tmp_path / "notes.leaf").write_text("1|The kettle is in the kitchen.\n7|Parking is behind the lab.\n")
    kb = KnowledgeBase(path=tmp_path / "idx", embedder=hashing)
    report = kb.index([tmp_path / "notes.leaf"], IndexSettings(workers=1))  # a reader process gets the registry too
    assert report.indexed_files == 1 and report.chunks == 2
    hit = kb.store.similarity_search("Where is parking?", k=1)[0]
    assert "Parking" in hit.page_content and hit.metadata["page"] == 7


def test_symlinks_out_of_the_corpus_are_skipped_with_a_reason_unless_allowed(tmp_path: Path, hashing):
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "ok.md").write_text("Refunds are paid within five working days.")
    (docs / "passwd.txt").symlink_to("/etc/passwd")
    kb = KnowledgeBase(path=tmp_path / "idx", embedder=hashing)
    report = kb.index([docs])
    assert report.indexed_files == 1
    assert [(Path(s).name, r) for s, r in report.skipped] == [("passwd.txt", "symlink to a path outside the indexed "
                                                                             "folders")]
    assert not any("root:" in d.page_content for d in kb.store.similarity_search("root", k=5))
    allowed = KnowledgeBase(path=tmp_path / "idx2", embedder=hashing).index(
        [docs], IndexSettings(follow_external_links=True))
    assert allowed.indexed_files == 2


def test_a_toy_ann_backend_indexes_and_answers_through_the_knowledge_base(tmp_path: Path, hashing, toy_registered):
    from tests.unit.store.test_ann_seam import NumpyIndex  # registered there as "numpy-exact" via the public seam

    (tmp_path / "notes.leaf").write_text("1|The kettle is in the kitchen.\n7|Parking is behind the lab.\n")
    kb = KnowledgeBase(path=tmp_path / "idx", embedder=hashing)
    kb.index([tmp_path / "notes.leaf", EXAMPLES_KB], IndexSettings(backend="numpy-exact", factory="Flat"))
    assert kb.manifest().backend == "numpy-exact" and isinstance(kb.store.index, NumpyIndex)
    assert "Parking" in kb.retriever().invoke("Where is parking behind the lab?")[0].page_content
    again = kb.index([tmp_path / "notes.leaf", EXAMPLES_KB])  # an update keeps the recorded backend
    assert again.unchanged_files == 6 and kb.manifest().settings["backend"] == "numpy-exact"
