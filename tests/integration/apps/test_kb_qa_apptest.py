"""The Streamlit app's flows through Streamlit's AppTest: create an index, upload, ask, see the cited sources; follow-ups
through the rewrite, answer settings, the guardrail's quote and the management page; sign-in, Chinese labels, uploads
staged on disk as they arrive, same-name uploads kept side by side."""

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.helpers import EXAMPLES_KB, REPO
from tests.scripted_model import ScriptedChatModel, after

pytestmark = pytest.mark.integration
APP = str(REPO / "apps" / "kb_qa.py")


@pytest.fixture()
def app(indexes: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("RAGKIT_APP_MODEL", "gemma3-270m")  # the fast packaged model keeps the flow quick
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    return at


def _upload(at: AppTest, *names: str) -> None:
    uploader = next(w for w in at.get("file_uploader") if w.key.startswith("uploads"))
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
    assert not app.exception
    assert any("invalid index name" in e.value for e in app.sidebar.error)


def test_questions_reuse_the_opened_index_until_it_is_reindexed(app: AppTest, monkeypatch: pytest.MonkeyPatch):
    from ragkit.store import AnnVectorStore

    loads: list[Path] = []
    original = AnnVectorStore.load.__func__

    def counting_load(cls, directory, *args, **kwargs):
        loads.append(Path(directory))
        return original(cls, directory, *args, **kwargs)

    monkeypatch.setattr(AnnVectorStore, "load", classmethod(counting_load))
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
    assert not at.exception
    assert any("at most 1 files per upload: onboarding.md not added" in e.value for e in at.sidebar.error)
    staging = list((indexes / "bounded" / "files").glob(".upload-*"))
    assert [p.name for p in staging[0].iterdir() if not p.name.startswith(".")] == ["security.txt"]
    assert not (indexes / "bounded" / "manifest.json").exists()


def test_uploads_are_on_disk_before_indexing_and_a_same_name_upload_keeps_both(app: AppTest, indexes: Path):
    app.text_input(key="new_index").set_value("twice").run()
    _upload(app, "security.txt")
    app.run()
    staged = [p for p in (indexes / "twice" / "files").glob(".upload-*/*") if not p.name.startswith(".")]
    assert [p.name for p in staged] == ["security.txt"]  # written to disk as it arrived, before "Index"
    assert any("security.txt" in c.value for c in app.sidebar.caption)
    app.button(key="index_button").click().run()
    _upload(app, "security.txt")
    app.run()
    assert any("kept as security (2).txt" in w.value for w in app.sidebar.warning), [w.value for w in app.sidebar.warning]
    app.button(key="index_button").click().run()
    assert not app.exception
    assert sorted(p.name for p in (indexes / "twice" / "files").iterdir()) == ["security (2).txt", "security.txt"]


def test_a_password_is_asked_for_and_compared(indexes: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RAGKIT_APP_PASSWORD", "correct horse 电池")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception and not at.sidebar.selectbox and not at.chat_input  # nothing before signing in
    at.text_input(key="password").set_value("wrong")  # a form's value reaches the app with its submit
    at.button[0].click().run()
    assert [e.value for e in at.error] == ["Wrong password."] and not at.chat_input
    at.text_input(key="password").set_value("correct horse 电池")
    at.button[0].click().run()
    assert not at.exception and at.chat_input and at.selectbox(key="index_choice").options == ["+ new index"]


def test_labels_in_chinese(indexes: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("RAGKIT_APP_LANGUAGE", "zh")
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    assert not at.exception
    assert at.title[0].value == "向文档提问" and at.selectbox(key="index_choice").options == ["+ 新建索引"]
    assert at.sidebar.radio(key="page").options == ["提问", "管理文件"]


# ----- conversation, answer settings, guardrail and management (scripted model: the flows, not the model) ---------

FOLLOW_UP = "Follow-up question:"


def _scripted_reply(prompt: str, params: dict) -> str:
    """Rewrite the password follow-up; answer password questions from security.txt's passage; anything else with a
    claim no passage supports (so the guardrail quotes)."""
    if FOLLOW_UP in prompt:
        return "How long must passwords be?" if "long must they be" in after(prompt, FOLLOW_UP) else "unchanged?"
    number = re.search(r"\[(\d+)\] \([^)]*security\.txt\)", prompt)
    question = after(prompt, "Question:")
    if number and "long" in question:
        return f"Passwords must be at least 14 characters long [{number.group(1)}]."
    if number and "keep" in question:
        return f"Use the company password manager [{number.group(1)}]."
    return "The moon is made of green cheese [1]."


@pytest.fixture()
def scripted(indexes: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[AppTest, ScriptedChatModel]]:
    """The app answering with a scripted model (ragkit.kb's shared chat model replaced) and an index 'team'
    holding security.txt and travel-policy.pdf."""
    import ragkit.kb

    model = ScriptedChatModel(reply=_scripted_reply)
    monkeypatch.setattr(ragkit.kb, "shared_chat_model", lambda backend, name, **options: model)
    monkeypatch.setenv("RAGKIT_APP_MODEL", "gemma3-270m")
    st.cache_resource.clear()  # KnowledgeBases of earlier tests' indexes directories
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.text_input(key="new_index").set_value("team").run()
    _upload(at, "security.txt", "travel-policy.pdf")
    at.run()
    at.button(key="index_button").click().run()
    assert not at.exception
    yield at, model
    st.cache_resource.clear()


def test_a_follow_up_is_answered_through_the_rewrite_which_is_shown(scripted):
    at, model = scripted
    at.chat_input[0].set_value("Where must I keep my passwords?").run()
    at.chat_input[0].set_value("And how long must they be?").run()
    assert not at.exception
    assert len(at.chat_message) == 4
    assert any(c.value == "searched for: How long must passwords be?" for c in at.caption), [c.value for c in at.caption]
    assert "14 characters" in at.chat_message[3].markdown[0].value
    rewrite = next(prompt for prompt, _ in model.calls if FOLLOW_UP in prompt)
    assert "User: Where must I keep my passwords?\nAssistant: Use the company password manager." in rewrite
    labels = [e.label for e in at.expander]
    assert labels[-1].startswith("[") and "security.txt" in labels[-1] and "/" not in labels[-1], labels

    at.button(key="new_conversation").click().run()
    assert len(at.chat_message) == 0


def test_answer_settings_in_the_sidebar_reach_the_chain(scripted):
    at, model = scripted
    from ragkit.models.presets import PRESETS

    assert at.sidebar.selectbox(key="model").options == list(PRESETS)
    assert at.sidebar.selectbox(key="model").value == "gemma3-270m"
    at.sidebar.slider(key="k").set_value(1).run()
    at.chat_input[0].set_value("Where must I keep my passwords?").run()
    prompt = model.calls[-1][0]
    assert "[1] (" in prompt and "[2] (" not in prompt


def test_guardrail_replacement_is_a_quoted_passage_not_an_error_box(scripted):
    at, _ = scripted
    at.chat_input[0].set_value("What is the daily meal allowance when travelling?").run()
    assert not at.exception and not at.error and not at.warning
    answer = at.chat_message[1]
    assert answer.markdown[0].value.startswith("> ") and "cheese" not in answer.markdown[0].value
    assert any("quoting it instead" in c.value for c in answer.caption)


def test_management_page_lists_files_with_chunk_counts_deletes_and_reindexes(scripted, indexes: Path):
    at, _ = scripted
    at.sidebar.radio(key="page").set_value("manage").run()
    assert not at.exception and not at.chat_input
    table = at.table[0].value
    assert list(table.index) == ["security.txt", "travel-policy.pdf"] and (table["chunks"] > 0).all()
    assert at.subheader[0].value == f"team: 2 files, {table['chunks'].sum()} chunks"

    at.selectbox(key="manage_source").set_value("security.txt").run()
    at.button(key="delete_source").click().run()
    assert not at.exception
    assert at.success[0].value == f"Deleted security.txt ({table['chunks']['security.txt']} chunks)."
    assert list(at.table[0].value.index) == ["travel-policy.pdf"]
    assert not (indexes / "team" / "files" / "security.txt").exists()

    at.button(key="reindex").click().run()
    assert not at.exception and at.success[0].value.startswith("Re-indexed: 0 files read, 1 unchanged")


def test_thumbs_attach_feedback_to_the_answer_event(scripted, indexes: Path):
    at, _ = scripted
    from ragkit.answerlog import EventLog

    at.chat_input[0].set_value("Where must I keep my passwords?").run()
    assert not at.exception and len(at.feedback) == 1
    at.feedback[0].set_value(0).run()
    assert not at.exception
    log = EventLog(indexes / "team")
    (rating,) = log.ratings()
    assert rating.rating == -1 and log.get(rating.event_id).question == "Where must I keep my passwords?"
