"""The Streamlit app's flows through Streamlit's AppTest: create an index, upload, ask, see the cited sources."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.helpers import EXAMPLES_KB, REPO

pytestmark = pytest.mark.integration
APP = str(REPO / "apps" / "kb_qa.py")


@pytest.fixture()
def app(indexes: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("RAGKIT_APP_MODEL", "gemma3-270m")  # the fast packaged model keeps the flow quick
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    return at


def _upload(at: AppTest, *names: str) -> None:
    uploader = next(w for w in at.get("file_uploader") if w.key == "uploads")
    uploader.set_value([(name, (EXAMPLES_KB / name).read_bytes(), "application/octet-stream") for name in names])


def test_create_index_upload_ask_and_see_sources(app: AppTest, indexes: Path):
    assert not app.exception
    assert app.selectbox(key="index_choice").options == ["+ new index"]
    app.text_input(key="new_index").set_value("team").run()
    _upload(app, "security.txt", "travel-policy.pdf")
    app.run()
    app.button(key="index_button").click().run()
    assert not app.exception
    assert any("Indexed 2 of 2 files" in s.value for s in app.sidebar.success), [s.value for s in app.sidebar.success]
    assert sorted(p.name for p in (indexes / "team" / "files").iterdir()) == ["security.txt", "travel-policy.pdf"]

    app.chat_input[0].set_value("What is the daily meal allowance when travelling?").run()
    assert not app.exception
    labels = [e.label for e in app.expander]
    assert labels and any("travel-policy.pdf" in label for label in labels), labels
    assert any("model: gemma3-270m" in c.value for c in app.caption)

    app.chat_input[0].set_value("Which second factor is required for company accounts?").run()
    assert len(app.chat_message) == 4  # history kept in this session: two questions, two answers
    assert app.selectbox(key="index_choice").options == ["team", "+ new index"]


def test_bad_index_name_is_reported_not_crashed(app: AppTest):
    app.text_input(key="new_index").set_value("../escape").run()
    _upload(app, "security.txt")
    app.run()
    app.button(key="index_button").click().run()
    assert not app.exception
    assert any("invalid index name" in e.value for e in app.sidebar.error)


def test_questions_reuse_the_opened_index_until_it_is_reindexed(app: AppTest, monkeypatch: pytest.MonkeyPatch):
    from ragkit.store import FaissVectorStore

    loads: list[Path] = []
    original = FaissVectorStore.load.__func__

    def counting_load(cls, directory, *args, **kwargs):
        loads.append(Path(directory))
        return original(cls, directory, *args, **kwargs)

    monkeypatch.setattr(FaissVectorStore, "load", classmethod(counting_load))
    app.text_input(key="new_index").set_value("reuse").run()
    _upload(app, "security.txt")
    app.run()
    app.button(key="index_button").click().run()
    asked_from = len(loads)
    for question in ("How long must passwords be?", "Which second factor is required for company accounts?"):
        app.chat_input[0].set_value(question).run()
        assert not app.exception
    assert len(loads) - asked_from == 1  # opened once for both questions, not once per question

    _upload(app, "travel-policy.pdf")
    app.run()
    app.button(key="index_button").click().run()
    reindexed_from = len(loads)
    app.chat_input[0].set_value("What is the daily meal allowance when travelling?").run()
    assert not app.exception
    assert len(loads) - reindexed_from == 1  # the new version is opened for the next question
    assert any("travel-policy.pdf" in e.label for e in app.expander)


def test_no_server_paths_can_be_indexed_and_uploads_are_bounded(indexes: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RAGKIT_APP_MODEL", "gemma3-270m")
    monkeypatch.setenv("RAGKIT_APP_MAX_FILES", "1")
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.text_input(key="new_index").set_value("bounded").run()
    assert [w.key for w in at.text_input] == ["new_index"]  # no free-text "folder on this server" box
    _upload(at, "security.txt", "onboarding.md")
    at.run()
    at.button(key="index_button").click().run()
    assert not at.exception
    assert any("at most 1 files" in e.value for e in at.sidebar.error)
    assert not (indexes / "bounded" / "manifest.json").exists()
