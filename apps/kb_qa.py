"""Streamlit knowledge-base Q&A: pick or create an index, upload files, hold a conversation with cited answers, and
manage the knowledge base's files.

Run with `streamlit run apps/kb_qa.py`. UI only: everything goes through ragkit's KnowledgeBase, which shares the
loaded models across sessions and reopens an index only when it was re-indexed. Follow-up questions are rewritten
into standalone ones from the conversation (the rewrite is shown). Visitors can index only what they upload (at
most MAX_FILES files of MAX_UPLOAD_MB each, written to disk as they arrive), never a server path, and sources are
shown by their name inside the knowledge base.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from ragkit import Answer, KnowledgeBase, RagkitError, TextDelta, guardrail_note
from ragkit.indexing import Progress
from ragkit.ingest import supported_suffixes
from ragkit.kb import list_knowledge_bases
from ragkit.models.presets import DEFAULT_PRESET, PRESETS
from ragkit.settings import IndexSettings, RetrievalSettings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
MODEL = os.environ.get("RAGKIT_APP_MODEL") or DEFAULT_PRESET  # the preset (or GGUF path) selected at first
EMBEDDER = os.environ.get("RAGKIT_APP_EMBEDDER")  # embedder spec for new indexes; None = packaged MiniLM
MAX_FILES = int(os.environ.get("RAGKIT_APP_MAX_FILES", "20"))
MAX_UPLOAD_MB = int(os.environ.get("RAGKIT_APP_MAX_UPLOAD_MB", "50"))
UPLOAD_TYPES = [suffix.lstrip(".") for suffix in supported_suffixes()]
MODELS = [*PRESETS, *([] if MODEL in PRESETS else [MODEL])]
ASK, MANAGE = "Ask", "Manage files"


@st.cache_resource(max_entries=16, show_spinner=False)
def knowledge_base(name: str, model: str = MODEL) -> KnowledgeBase:
    """One KnowledgeBase per index name and model, shared by sessions (it keeps the opened version of the index)."""
    return KnowledgeBase(name, llm=model)


def sidebar() -> tuple[str | None, str, int]:
    """Choose or create the index, add files to it, pick the answer settings; returns index name, model and k."""
    st.sidebar.header("Knowledge base")
    choice = st.sidebar.selectbox("Index", [*list_knowledge_bases(), "+ new index"], key="index_choice")
    if choice == "+ new index":
        choice = st.sidebar.text_input("New index name", key="new_index").strip() or None
    st.sidebar.header("Answer settings")
    model = st.sidebar.selectbox("Model", MODELS, index=MODELS.index(MODEL), key="model",
                                 help=" / ".join(f"{p.name}: {p.description}" for p in PRESETS.values()))
    k = st.sidebar.slider("Passages (k)", 1, 10, RetrievalSettings().k, key="k")
    if choice is None:
        st.sidebar.info("Name the new index, then add files to it.")
        return None, model, k
    uploads = st.sidebar.file_uploader(f"Add files ({', '.join('.' + t for t in UPLOAD_TYPES)})",
                                       accept_multiple_files=True, type=UPLOAD_TYPES, key="uploads")
    if st.sidebar.button("Index", key="index_button", disabled=not uploads):
        index_files(choice, uploads or [])
    return choice, model, k


def index_files(name: str, uploads: list) -> None:
    """Save the uploads in the knowledge base's files folder (checked for count and size), then index them with a
    progress bar."""
    try:
        if len(uploads) > MAX_FILES:
            raise RagkitError(f"at most {MAX_FILES} files per upload")
        too_big = [u.name for u in uploads if u.size > MAX_UPLOAD_MB * 2**20]
        if too_big:
            raise RagkitError(f"larger than {MAX_UPLOAD_MB} MB: {', '.join(too_big)}")
        kb = knowledge_base(name)
        kb.files_dir.mkdir(parents=True, exist_ok=True)
        paths = []
        for upload in uploads:
            path = kb.files_dir / Path(upload.name).name  # the name only: no directories from the browser
            with path.open("wb") as out:
                shutil.copyfileobj(upload, out)
            paths.append(path)
        settings = IndexSettings(embedder=EMBEDDER) if EMBEDDER and not kb.exists else IndexSettings()
        with progress_bar(st.sidebar) as progress:
            report = kb.index(paths, settings, progress)
    except RagkitError as exc:
        st.sidebar.error(str(exc))
        return
    st.sidebar.success(f"Indexed {report.indexed_files} of {report.files} files: {report.new_chunks} new chunks, "
                       f"{report.chunks} in index ({report.seconds:.1f} s).")
    for source, reason in report.skipped:
        st.sidebar.warning(f"Skipped {kb.shown_source(source)}: {reason}")


@contextmanager
def progress_bar(where: DeltaGenerator) -> Iterator[Progress]:
    """A progress bar for an indexing run in `where`, removed when the run ends."""
    bar = where.progress(0.0, text="Reading files...")

    def progress(stage: str, done: int, total: int) -> None:
        label = "Reading files" if stage == "read" else "Embedding chunks"
        bar.progress(done / max(total, 1), text=f"{label}: {done}/{total}")

    try:
        yield progress
    finally:
        bar.empty()


def show_answer(kb: KnowledgeBase, answer: Answer) -> None:
    """The answer (the guardrail's replacement as a quoted passage), the rewritten question, the model and time, and
    the expandable sources named inside the knowledge base."""
    if answer.extractive:
        st.caption(guardrail_note(answer.question))
        st.markdown("> " + answer.text.replace("\n", "\n> "))
    else:
        st.markdown(answer.text)
    if answer.rewritten and answer.rewritten != answer.question:
        st.caption(f"searched for: {answer.rewritten}")
    st.caption(f"model: {answer.model} ({answer.timings.get('total_s', 0):.1f} s)")
    if answer.event_id:  # thumbs attach to the answer's event in the index's answer log (`ragkit report`)
        key = f"feedback-{answer.event_id}"
        st.feedback("thumbs", key=key, on_change=rate, args=(kb, answer.event_id, key))
    for citation in answer.citations:
        note = " - attributed by overlap" if citation.inferred else ""
        with st.expander(f"[{citation.n}] {kb.shown_source(citation.source)}, "
                         f"{citation.where or f'page {citation.page}'}{note}"):
            st.caption(f"characters {citation.start}-{citation.end}, similarity {citation.score:.2f}")
            st.text(citation.text)


def rate(kb: KnowledgeBase, event_id: str, key: str) -> None:
    """Record a thumb given to an answer (st.feedback: 1 up, 0 down; None when taken back)."""
    if (thumb := st.session_state.get(key)) is not None:
        kb.feedback(event_id, "up" if thumb == 1 else "down")


def ask_page(name: str | None, model: str, k: int) -> None:
    """The conversation with the chosen index: earlier turns, then the new question answered as it streams."""
    conversations = st.session_state.setdefault("conversations", {})  # per browser session, per index
    turns: list[tuple[str, Answer]] = conversations.setdefault(name, [])
    if turns and st.button("New conversation", key="new_conversation"):
        turns.clear()
    for question, answer in turns:
        st.chat_message("user").write(question)
        with st.chat_message("assistant"):
            show_answer(knowledge_base(name, model), answer)  # type: ignore[arg-type]
    question = st.chat_input("Ask a question", disabled=name is None)
    if not question or name is None:
        return
    kb = knowledge_base(name, model)
    history = [turn for asked, answer in turns for turn in (("user", asked), ("assistant", answer.text))]
    st.chat_message("user").write(question)
    with st.chat_message("assistant"):
        result: list[Answer] = []

        def text() -> Iterator[str]:
            for event in kb.stream(question, kb.retrieval.model_copy(update={"k": k}), history=history):
                if isinstance(event, TextDelta):
                    yield event.text
                else:
                    result.append(event)

        streamed = st.empty()
        try:
            streamed.write_stream(text())
        except RagkitError as exc:
            streamed.error(str(exc))
            return
        streamed.empty()  # the final answer replaces the streamed reply (the guardrail may have quoted instead)
        show_answer(kb, result[0])
    turns.append((question, result[0]))


def manage_page(name: str | None) -> None:
    """The knowledge base's files with their chunk counts; delete one, or index everything again."""
    if name is None:
        st.info("Choose or name an index in the sidebar.")
        return
    kb = knowledge_base(name)
    if not kb.exists:
        st.info(f"Index {name!r} is empty: add files in the sidebar.")
        return
    if note := st.session_state.pop("manage_note", None):
        st.success(note)
    try:
        sources = kb.sources()
        st.subheader(f"{name}: {len(sources)} files, {sum(c for _, c in sources)} chunks")
        st.table(pd.DataFrame({"chunks": [c for _, c in sources]}, index=pd.Index([s for s, _ in sources], name="file")))
        source = st.selectbox("File", [s for s, _ in sources], key="manage_source")
        if st.button("Delete file", key="delete_source", disabled=source is None):
            st.session_state["manage_note"] = f"Deleted {source} ({kb.delete_source(source)} chunks)."
            st.rerun()
        rebuild = st.checkbox("Rebuild from scratch", key="rebuild")
        if st.button("Re-index", key="reindex"):
            with progress_bar(st.container()) as progress:
                report = kb.reindex(rebuild, progress)
            st.session_state["manage_note"] = (
                f"Re-indexed: {report.indexed_files} files read, {report.unchanged_files} unchanged, "
                f"{report.removed_files} removed; {report.chunks} chunks ({report.seconds:.1f} s).")
            st.rerun()
    except RagkitError as exc:
        st.error(str(exc))


def main() -> None:
    st.set_page_config(page_title="ragkit Q&A", layout="wide")
    page = st.sidebar.radio("Page", [ASK, MANAGE], key="page", horizontal=True)
    name, model, k = sidebar()
    if page == MANAGE:
        st.title("Manage the knowledge base")
        manage_page(name)
        return
    st.title("Ask your documents")
    ask_page(name, model, k)


if __name__ == "__main__" or st.runtime.exists():
    main()
