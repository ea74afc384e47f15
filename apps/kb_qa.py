"""Streamlit knowledge-base Q&A: sign in, pick or create an index, upload files, hold a conversation with cited
answers, and manage the knowledge base's files; labels in English or Chinese.

Run with `streamlit run apps/kb_qa.py`. UI only, on ragkit's public API: knowledge bases are managed by
ragkit.KnowledgeBases (staged uploads with undo, one writer at a time, crash recovery at start), which shares the
loaded models across sessions and reopens an index only when it was re-indexed. Access: with RAGKIT_APP_PASSWORD set
every visitor signs in with it; without it only visitors on this machine get in (loopback, no proxy headers), and
the app says so. Uploads are staged on disk as they arrive (at most RAGKIT_APP_MAX_FILES files of
RAGKIT_APP_MAX_UPLOAD_MB each), then indexed with "Index"; a file of a name the knowledge base holds is kept beside
it as "name (2).ext". Visitors can index only what they upload, never a server path. See docs/app.md.
"""

from __future__ import annotations

import hmac
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import streamlit as st
from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict
from streamlit.delta_generator import DeltaGenerator

from ragkit import (
    DEFAULT_PRESET,
    PRESETS,
    Answer,
    KnowledgeBase,
    KnowledgeBases,
    Progress,
    RagkitError,
    RetrievalSettings,
    TextDelta,
    Upload,
    check_type,
    guardrail_note,
    indexes_dir,
    safe_name,
    supported_suffixes,
)

os.environ.setdefault("HF_HUB_OFFLINE", "1")
_PROXY_HEADERS = ("X-Forwarded-For", "X-Real-Ip", "Forwarded")
# Module-level strings would be drawn on the page (streamlit's magic), so constants are described in comments.
_WRONG_PASSWORD_DELAY_S = 1.0  # pause after a wrong password: slows guessing, keeps only that session waiting


class AppSettings(BaseSettings):
    """The app's settings, from RAGKIT_APP_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="RAGKIT_APP_", extra="forbid")

    model: str = DEFAULT_PRESET
    """The model preset (or GGUF path) selected at first."""
    embedder: str | None = None
    """Embedder spec for new indexes; None: picked by the corpus language."""
    max_files: int = Field(20, ge=1)
    """Files one upload may stage."""
    max_upload_mb: float = Field(50, gt=0)
    """Largest file accepted (also set streamlit's server.maxUploadSize, which bounds the browser's upload)."""
    password: SecretStr | None = None
    """Every visitor signs in with it; unset: only visitors on this machine get in."""
    language: Literal["auto", "en", "zh"] = "auto"
    """Label language; auto: the browser's."""


LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Ask your documents", "manage_title": "Manage the knowledge base", "page": "Page", "ask": "Ask",
        "manage": "Manage files", "kb": "Knowledge base", "index": "Index", "new": "+ new index",
        "new_name": "New index name", "settings": "Answer settings", "model": "Model", "k": "Passages (k)",
        "name_first": "Name the new index, then add files to it.", "add_files": "Add files ({types})",
        "staged": "Ready to index: {files}", "clear": "Clear", "kept_as": "{name} exists already: kept as {kept}",
        "too_many": "at most {n} files per upload: {names} not added",
        "indexed": "Indexed {indexed} of {files} files: {new} new chunks, {chunks} in index ({s:.1f} s).",
        "skipped": "Skipped {source}: {reason}", "reading": "Reading files", "embedding": "Embedding chunks",
        "new_conversation": "New conversation", "question": "Ask a question", "searched": "searched for: {q}",
        "choose": "Choose or name an index in the sidebar.", "empty": "Index {name!r} is empty: add files in the sidebar.",
        "summary": "{name}: {files} files, {chunks} chunks", "file": "File", "delete": "Delete file",
        "deleted": "Deleted {source} ({n} chunks).", "rebuild": "Rebuild from scratch", "reindex": "Re-index",
        "reindexed": "Re-indexed: {read} files read, {unchanged} unchanged, {removed} removed; {chunks} chunks "
                     "({s:.1f} s).",
        "password": "Password", "sign_in": "Sign in", "wrong_password": "Wrong password.",
        "open": "No password set (RAGKIT_APP_PASSWORD): open to visitors on this machine only.",
        "closed": "This app has no password set, so it serves visitors on its own machine only. The operator can "
                  "set RAGKIT_APP_PASSWORD to let others sign in.",
    },
    "zh": {
        "title": "向文档提问", "manage_title": "管理知识库", "page": "页面", "ask": "提问", "manage": "管理文件",
        "kb": "知识库", "index": "建立索引", "new": "+ 新建索引", "new_name": "新索引名称", "settings": "回答设置",
        "model": "模型", "k": "段落数 (k)", "name_first": "先为新索引命名，再添加文件。", "add_files": "添加文件（{types}）",
        "staged": "待索引：{files}", "clear": "清空", "kept_as": "{name} 已存在：另存为 {kept}",
        "too_many": "每次最多上传 {n} 个文件：{names} 未添加",
        "indexed": "已索引 {indexed}/{files} 个文件：新增 {new} 个片段，索引共 {chunks} 个（{s:.1f} 秒）。",
        "skipped": "已跳过 {source}：{reason}", "reading": "读取文件", "embedding": "嵌入片段",
        "new_conversation": "新对话", "question": "输入问题", "searched": "检索问题：{q}",
        "choose": "请在侧边栏选择或命名索引。", "empty": "索引 {name!r} 为空：请在侧边栏添加文件。",
        "summary": "{name}：{files} 个文件，{chunks} 个片段", "file": "文件", "delete": "删除文件",
        "deleted": "已删除 {source}（{n} 个片段）。", "rebuild": "从头重建", "reindex": "重新索引",
        "reindexed": "已重新索引：读取 {read} 个文件，{unchanged} 个未变，删除 {removed} 个；共 {chunks} 个片段（{s:.1f} 秒）。",
        "password": "密码", "sign_in": "登录", "wrong_password": "密码错误。",
        "open": "未设置密码（RAGKIT_APP_PASSWORD）：仅对本机访问者开放。",
        "closed": "本应用未设置密码，因此只为本机访问者服务。管理员可设置 RAGKIT_APP_PASSWORD 让其他人登录。",
    },
}  # every label in each language (the same keys)
SETTINGS = AppSettings()
UPLOAD_TYPES = [suffix.lstrip(".") for suffix in supported_suffixes()]
MODELS = [*PRESETS, *([] if SETTINGS.model in PRESETS else [SETTINGS.model])]
ASK, MANAGE, NEW = "ask", "manage", "+ new index"


def language() -> str:
    """The label language: the setting, else the browser's (navigator.language, else Accept-Language)."""
    if SETTINGS.language != "auto":
        return SETTINGS.language
    browser = st.context.locale or st.context.headers.get("Accept-Language") or ""
    return "zh" if browser.strip().lower().startswith("zh") else "en"


def t(key: str, **values: Any) -> str:
    """A label in the visitor's language."""
    return LABELS[language()][key].format(**values)


@st.cache_resource(max_entries=4, show_spinner=False)
def knowledge_bases(root: str) -> KnowledgeBases:
    """The knowledge bases under the indexes directory, shared by sessions; what a crash left staged is rolled back
    or forward first."""
    kbs = KnowledgeBases(Path(root), embedder=SETTINGS.embedder)
    kbs.recover()
    return kbs


def kbs() -> KnowledgeBases:
    return knowledge_bases(str(indexes_dir()))


def on_this_machine() -> bool:
    """Whether the visitor connects from loopback, not through a proxy (behind one, everyone looks local)."""
    remote = st.context.ip_address  # None on loopback (streamlit maps 127.0.0.1 and ::1 to None); not a str in AppTest
    return not isinstance(remote, str) and not any(h in st.context.headers for h in _PROXY_HEADERS)


def signed_in() -> bool:
    """Whether the visitor may use the app: signed in with the password (compared in constant time), or, with none
    set, on this machine. Shows the sign-in form or the reason otherwise."""
    if SETTINGS.password is None:
        if on_this_machine():
            st.sidebar.caption(t("open"))
            return True
        st.error(t("closed"))
        return False
    if st.session_state.get("signed_in"):
        return True
    with st.form("sign_in"):
        given = st.text_input(t("password"), type="password", key="password")
        if st.form_submit_button(t("sign_in")):
            if hmac.compare_digest(given.encode(), SETTINGS.password.get_secret_value().encode()):
                st.session_state["signed_in"] = True
                st.session_state.pop("password", None)
                st.rerun()
            time.sleep(_WRONG_PASSWORD_DELAY_S)
            st.error(t("wrong_password"))
    return False


def sidebar() -> tuple[str | None, str, int]:
    """Choose or create the index, add files to it, pick the answer settings; returns index name, model and k."""
    st.sidebar.header(t("kb"))
    choice: str | None = st.sidebar.selectbox(t("index"), [*kbs().names(), NEW], key="index_choice",
                                  format_func=lambda name: t("new") if name == NEW else name)
    if choice == NEW:
        choice = st.sidebar.text_input(t("new_name"), key="new_index").strip() or None
    st.sidebar.header(t("settings"))
    model = st.sidebar.selectbox(t("model"), MODELS, index=MODELS.index(SETTINGS.model), key="model",
                                 help=" / ".join(f"{p.name}: {p.description}" for p in PRESETS.values()))
    k = st.sidebar.slider(t("k"), 1, 10, RetrievalSettings().k, key="k")
    if choice is None:
        st.sidebar.info(t("name_first"))
        return None, model, k
    for kind, note in st.session_state.pop("upload_notes", []):
        getattr(st.sidebar, kind)(note)
    try:
        upload = staged_upload(choice)
    except RagkitError as exc:
        st.sidebar.error(str(exc))
        return choice, model, k
    if upload.names:
        st.sidebar.caption(t("staged", files=", ".join(upload.names)))
        if st.sidebar.button(t("clear"), key="clear_uploads"):
            drop_upload(choice)
            st.rerun()
    if st.sidebar.button(t("index"), key="index_button", disabled=not upload.names):
        index_upload(choice, upload)
    return choice, model, k


def staged_upload(name: str) -> Upload:
    """This session's upload to `name`: files from the uploader are staged on disk as they arrive (the uploader is
    then emptied, so the browser's copies do not pile up in memory), up to the count and size caps."""
    uploads: dict[str, Upload] = st.session_state.setdefault("staged", {})
    if name not in uploads:
        uploads[name] = kbs().stage(name)
    upload = uploads[name]
    generation = st.session_state.setdefault("uploader", 0)
    files = st.sidebar.file_uploader(t("add_files", types=", ".join("." + s for s in UPLOAD_TYPES)),
                                     accept_multiple_files=True, type=UPLOAD_TYPES, key=f"uploads-{generation}")
    if files:
        st.session_state["upload_notes"] = stage(upload, files)
        st.session_state["uploader"] = generation + 1
        st.rerun()
    return upload


def stage(upload: Upload, files: list[Any]) -> list[tuple[str, str]]:
    """Stage the files that fit the caps; returns notes (kind, text) on what was renamed or refused."""
    notes: list[tuple[str, str]] = []
    room = SETTINGS.max_files - len(upload.names)
    if len(files) > room:
        names = ", ".join(f.name for f in files[max(room, 0):])
        notes.append(("error", t("too_many", n=SETTINGS.max_files, names=names)))
    for file in files[:max(room, 0)]:
        try:
            name = safe_name(file.name)
            check_type(name)
            kept = upload.add(name, file, int(SETTINGS.max_upload_mb * 2**20), keep_both=True)
        except RagkitError as exc:
            notes.append(("error", str(exc)))
            continue
        if kept != name:
            notes.append(("warning", t("kept_as", name=name, kept=kept)))
    return notes


def drop_upload(name: str) -> None:
    """Forget this session's staged files for `name` (removed from disk)."""
    upload = st.session_state.get("staged", {}).pop(name, None)
    if upload is not None:
        upload.finish()


def index_upload(name: str, upload: Upload) -> None:
    """Index the staged files with a progress bar (the library puts the files folder back if it fails)."""
    st.session_state["staged"].pop(name, None)
    try:
        upload.staged("")
        with progress_bar(st.sidebar) as progress:
            report = kbs().index_upload(name, upload, progress)
    except RagkitError as exc:
        st.sidebar.error(str(exc))
        return
    st.sidebar.success(t("indexed", indexed=report.indexed_files, files=report.files, new=report.new_chunks,
                         chunks=report.chunks, s=report.seconds))
    kb = kbs().get(name)
    for source, reason in report.skipped:
        st.sidebar.warning(t("skipped", source=kb.shown_source(source), reason=reason))


@contextmanager
def progress_bar(where: DeltaGenerator) -> Iterator[Progress]:
    """A progress bar for an indexing run in `where`, removed when the run ends."""
    bar = where.progress(0.0, text=t("reading"))

    def progress(stage: str, done: int, total: int) -> None:
        label = t("reading") if stage == "read" else t("embedding")
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
        st.caption(t("searched", q=answer.rewritten))
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
    if turns and st.button(t("new_conversation"), key="new_conversation"):
        turns.clear()
    for asked, answer in turns:
        st.chat_message("user").write(asked)
        with st.chat_message("assistant"):
            show_answer(kbs().get(name, model), answer)  # type: ignore[arg-type]
    question = st.chat_input(t("question"), disabled=name is None)
    if not question or name is None:
        return
    history = [turn for asked, answer in turns for turn in (("user", asked), ("assistant", answer.text))]
    st.chat_message("user").write(question)
    with st.chat_message("assistant"):
        result: list[Answer] = []
        streamed = st.empty()
        try:
            kb = kbs().get(name, model)

            def text() -> Iterator[str]:
                for event in kb.stream(question, kb.retrieval.model_copy(update={"k": k}), history=history):
                    if isinstance(event, TextDelta):
                        yield event.text
                    else:
                        result.append(event)

            streamed.write_stream(text())
        except RagkitError as exc:
            streamed.error(str(exc))
            return
        streamed.empty()  # the final answer replaces the streamed reply (the guardrail may have quoted instead)
        show_answer(kb, result[0])
    turns.append((question, result[0]))


def manage_page(name: str | None) -> None:
    """The knowledge base's files with their chunk counts; delete one, or index everything again."""
    if name is None or name not in kbs().names():
        st.info(t("choose") if name is None else t("empty", name=name))
        return
    if note := st.session_state.pop("manage_note", None):
        st.success(note)
    try:
        sources = kbs().sources(name)
        st.subheader(t("summary", name=name, files=len(sources), chunks=sum(c for _, c in sources)))
        st.table(pd.DataFrame({"chunks": [c for _, c in sources]}, index=pd.Index([s for s, _ in sources], name="file")))
        source = st.selectbox(t("file"), [s for s, _ in sources], key="manage_source")
        if st.button(t("delete"), key="delete_source", disabled=source is None):
            st.session_state["manage_note"] = t("deleted", source=source, n=kbs().delete_source(name, source))
            st.rerun()
        rebuild = st.checkbox(t("rebuild"), key="rebuild")
        if st.button(t("reindex"), key="reindex"):
            with progress_bar(st.container()) as progress:
                report = kbs().reindex(name, rebuild, progress)
            st.session_state["manage_note"] = t(
                "reindexed", read=report.indexed_files, unchanged=report.unchanged_files,
                removed=report.removed_files, chunks=report.chunks, s=report.seconds)
            st.rerun()
    except RagkitError as exc:
        st.error(str(exc))


def main() -> None:
    st.set_page_config(page_title="ragkit Q&A", layout="wide")
    if not signed_in():
        return
    page = st.sidebar.radio(t("page"), [ASK, MANAGE], key="page", horizontal=True, format_func=t)
    name, model, k = sidebar()
    if page == MANAGE:
        st.title(t("manage_title"))
        manage_page(name)
        return
    st.title(t("title"))
    ask_page(name, model, k)


if __name__ == "__main__" or st.runtime.exists():
    main()
