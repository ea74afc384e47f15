"""Streamlit knowledge-base Q&A: pick or create an index, upload files, ask, read the cited answer.

Run with `streamlit run apps/kb_qa.py`. UI only: everything goes through ragkit's KnowledgeBase, which shares the
loaded models across sessions and reopens an index only when it was re-indexed. Visitors can index only what they
upload (at most MAX_FILES files of MAX_UPLOAD_MB each, written to disk as they arrive), never a server path, and
sources are shown by their name inside the knowledge base.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import streamlit as st

from ragkit import Answer, KnowledgeBase, RagkitError
from ragkit.chains import TextDelta
from ragkit.chains.rag import guardrail_note
from ragkit.ingest import supported_suffixes
from ragkit.kb import list_knowledge_bases
from ragkit.settings import IndexSettings

os.environ.setdefault("HF_HUB_OFFLINE", "1")
MODEL = os.environ.get("RAGKIT_APP_MODEL")  # preset or GGUF path; None = ragkit's default preset
EMBEDDER = os.environ.get("RAGKIT_APP_EMBEDDER")  # embedder spec for new indexes; None = packaged MiniLM
MAX_FILES = int(os.environ.get("RAGKIT_APP_MAX_FILES", "20"))
MAX_UPLOAD_MB = int(os.environ.get("RAGKIT_APP_MAX_UPLOAD_MB", "50"))
UPLOAD_TYPES = [suffix.lstrip(".") for suffix in supported_suffixes()]


@st.cache_resource(max_entries=16, show_spinner=False)
def knowledge_base(name: str) -> KnowledgeBase:
    """One KnowledgeBase per index name, shared by sessions (it keeps the opened version of the index)."""
    return KnowledgeBase(name, llm=MODEL)


def sidebar() -> str | None:
    """Choose or create the index, and add files to it; returns the chosen index name."""
    st.sidebar.header("Knowledge base")
    choice = st.sidebar.selectbox("Index", [*list_knowledge_bases(), "+ new index"], key="index_choice")
    if choice == "+ new index":
        choice = st.sidebar.text_input("New index name", key="new_index").strip() or None
    if choice is None:
        st.sidebar.info("Name the new index, then add files to it.")
        return None
    uploads = st.sidebar.file_uploader(f"Add files ({', '.join('.' + t for t in UPLOAD_TYPES)})",
                                       accept_multiple_files=True, type=UPLOAD_TYPES, key="uploads")
    if st.sidebar.button("Index", key="index_button", disabled=not uploads):
        index_files(choice, uploads or [])
    return choice


def index_files(name: str, uploads: list) -> None:
    """Save the uploads beside the index (checked for count and size), then index them with a progress bar."""
    try:
        if len(uploads) > MAX_FILES:
            raise RagkitError(f"at most {MAX_FILES} files per upload")
        too_big = [u.name for u in uploads if u.size > MAX_UPLOAD_MB * 2**20]
        if too_big:
            raise RagkitError(f"larger than {MAX_UPLOAD_MB} MB: {', '.join(too_big)}")
        kb = knowledge_base(name)
        target = kb.directory / "files"
        target.mkdir(parents=True, exist_ok=True)
        paths = []
        for upload in uploads:
            path = target / Path(upload.name).name  # the name only: no directories from the browser
            with path.open("wb") as out:
                shutil.copyfileobj(upload, out)
            paths.append(path)
        bar = st.sidebar.progress(0.0, text="Reading files...")

        def progress(stage: str, done: int, total: int) -> None:
            label = "Reading files" if stage == "read" else "Embedding chunks"
            bar.progress(done / max(total, 1), text=f"{label}: {done}/{total}")

        settings = IndexSettings(embedder=EMBEDDER) if EMBEDDER and not kb.exists else IndexSettings()
        report = kb.index(paths, settings, progress)
    except RagkitError as exc:
        st.sidebar.error(str(exc))
        return
    bar.empty()
    st.sidebar.success(f"Indexed {report.indexed_files} of {report.files} files: {report.new_chunks} new chunks, "
                       f"{report.chunks} in index ({report.seconds:.1f} s).")
    for source, reason in report.skipped:
        st.sidebar.warning(f"Skipped {Path(source).name}: {reason}")


def show_answer(answer: Answer) -> None:
    """The guardrail's quote (when it replaced the reply), the model and time, and the expandable sources."""
    if answer.extractive:
        st.caption(guardrail_note(answer.question))
        st.markdown("> " + answer.text.replace("\n", "\n> "))
    st.caption(f"model: {answer.model} ({answer.timings.get('total_s', 0):.1f} s)")
    for citation in answer.citations:
        note = " - attributed by overlap" if citation.inferred else ""
        with st.expander(f"[{citation.n}] {Path(citation.source).name}, {citation.where or f'page {citation.page}'}"
                         f"{note}"):
            st.caption(f"characters {citation.start}-{citation.end}, similarity {citation.score:.2f}")
            st.text(citation.text)


def main() -> None:
    st.set_page_config(page_title="ragkit Q&A", layout="wide")
    st.title("Ask your documents")
    name = sidebar()
    history = st.session_state.setdefault("history", [])  # per browser session
    for question, answer in history:
        st.chat_message("user").write(question)
        with st.chat_message("assistant"):
            if not answer.extractive:
                st.write(answer.text)
            show_answer(answer)
    question = st.chat_input("Ask a question", disabled=name is None)
    if not question or name is None:
        return
    st.chat_message("user").write(question)
    with st.chat_message("assistant"):
        result: list[Answer] = []

        def text():
            for event in knowledge_base(name).stream(question):
                if isinstance(event, TextDelta):
                    yield event.text
                else:
                    result.append(event)

        try:
            st.write_stream(text())
        except RagkitError as exc:
            st.error(str(exc))
            return
        show_answer(result[0])
    history.append((question, result[0]))


if __name__ == "__main__" or st.runtime.exists():
    main()
