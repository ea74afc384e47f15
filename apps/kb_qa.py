"""Streamlit knowledge-base Q&A: pick or create an index, upload files, ask, read the cited answer.

Run with `streamlit run apps/kb_qa.py`. UI only: everything goes through ragkit's public API.
Models load once per process (st.cache_resource); the llama.cpp model serializes concurrent sessions itself.
"""

from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

from ragkit import Answer, KnowledgeBase, RagkitError
from ragkit.config import indexes_dir
from ragkit.embeddings import VectorEmbeddings, from_spec
from ragkit.models import ChatLlamaCpp

os.environ.setdefault("HF_HUB_OFFLINE", "1")
MODEL = os.environ.get("RAGKIT_APP_MODEL")  # preset or GGUF path; None = ragkit's default preset
EMBEDDER = os.environ.get("RAGKIT_APP_EMBEDDER")  # embedder spec for new indexes; None = packaged MiniLM


@st.cache_resource(show_spinner="Loading the embedding model...")
def embedder(spec: str | None) -> VectorEmbeddings:
    return from_spec(spec)


@st.cache_resource(show_spinner="Loading the language model...")
def language_model(model: str | None) -> ChatLlamaCpp:
    return ChatLlamaCpp(model=model).load()


def knowledge_base(name: str) -> KnowledgeBase:
    """A fresh KnowledgeBase sharing the process-wide models, for indexing (which changes it)."""
    saved = KnowledgeBase(name)
    spec = (saved.manifest().embedder_spec or None) if saved.exists else EMBEDDER
    return KnowledgeBase(name, embedder=embedder(spec), llm=language_model(MODEL))


@st.cache_resource(max_entries=8, show_spinner="Opening the index...")
def opened_knowledge_base(name: str, generation: str) -> KnowledgeBase:
    """One KnowledgeBase per saved version of an index, shared by sessions: its FAISS store and BM25 load once,
    not on every question; a re-index writes a new generation, so the next question opens the new version."""
    return knowledge_base(name)


def knowledge_base_to_ask(name: str) -> KnowledgeBase:
    """The loaded KnowledgeBase for the index's current version (raises RagkitError when it was never built)."""
    return opened_knowledge_base(name, KnowledgeBase(name).manifest().generation)


def existing_indexes() -> list[str]:
    root = indexes_dir()
    return sorted(p.name for p in root.iterdir() if (p / "manifest.json").is_file()) if root.is_dir() else []


def sidebar() -> str | None:
    """Choose or create the index, and add files to it; returns the chosen index name."""
    st.sidebar.header("Knowledge base")
    names = existing_indexes()
    choice = st.sidebar.selectbox("Index", [*names, "+ new index"], key="index_choice")
    if choice == "+ new index":
        choice = st.sidebar.text_input("New index name", key="new_index").strip() or None
    if choice is None:
        st.sidebar.info("Name the new index, then add files to it.")
        return None
    uploads = st.sidebar.file_uploader("Add files (.txt, .md, .pdf, .html)", accept_multiple_files=True,
                                       type=["txt", "md", "pdf", "html", "htm"], key="uploads")
    folder = st.sidebar.text_input("...or a folder on this server", key="folder").strip()
    if st.sidebar.button("Index", key="index_button", disabled=not (uploads or folder)):
        index_files(choice, uploads or [], folder)
    return choice


def index_files(name: str, uploads: list, folder: str) -> None:
    """Save uploads beside the index, then index them (and the folder) with a progress bar."""
    try:
        kb = knowledge_base(name)
        paths: list[Path] = []
        if uploads:
            target = kb.directory / "files"
            target.mkdir(parents=True, exist_ok=True)
            for upload in uploads:
                path = target / Path(upload.name).name
                path.write_bytes(upload.getvalue())
                paths.append(path)
        if folder:
            paths.append(Path(folder))
        bar = st.sidebar.progress(0.0, text="Reading files...")

        def progress(stage: str, done: int, total: int) -> None:
            label = "Reading files" if stage == "read" else "Embedding chunks"
            bar.progress(done / max(total, 1), text=f"{label}: {done}/{total}")

        report = kb.index(paths, progress)
    except RagkitError as exc:
        st.sidebar.error(str(exc))
        return
    bar.empty()
    st.sidebar.success(f"Indexed {report.indexed_files} of {report.files} files: {report.new_chunks} new chunks, "
                       f"{report.chunks} in index ({report.seconds:.1f} s).")
    for source, reason in report.skipped:
        st.sidebar.warning(f"Skipped {source}: {reason}")


def show_sources(answer: Answer) -> None:
    for citation in answer.citations:
        note = " - attributed by overlap" if citation.inferred else ""
        with st.expander(f"[{citation.n}] {citation.source}, page {citation.page}{note}"):
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
            st.write(answer.text)
            st.caption(f"model: {answer.model}")
            show_sources(answer)
    question = st.chat_input("Ask a question", disabled=name is None)
    if not question or name is None:
        return
    st.chat_message("user").write(question)
    with st.chat_message("assistant"):
        result: dict[str, Answer] = {}

        def text():
            for item in knowledge_base_to_ask(name).stream(question):
                if isinstance(item, Answer):
                    result["answer"] = item
                else:
                    yield item

        try:
            st.write_stream(text())
        except RagkitError as exc:
            st.error(str(exc))
            return
        answer = result["answer"]
        if answer.extractive:
            st.warning(f"Not supported by the cited passage; quoting it instead: {answer.text}")
        st.caption(f"model: {answer.model} ({answer.timings.get('total_s', 0):.1f} s)")
        show_sources(answer)
    history.append((question, answer))


if __name__ == "__main__" or st.runtime.exists():
    main()
