"""Knowledge bases: list, create, info, delete; upload files (an indexing job), list and delete sources, re-index."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Response, UploadFile
from starlette.concurrency import run_in_threadpool

from ragkit import FileTooLargeError, IndexReport, check_type, safe_name
from ragkit.server.jobs import Job, new_job_id, report_dict
from ragkit.server.schemas import CreateKnowledgeBase, KnowledgeBaseInfo, Reindex, SourceInfo
from ragkit.server.state import Caller, ServerState, State
from ragkit.server.strict_json import StrictRoute

router = APIRouter(prefix="/v1/kbs", tags=["knowledge bases"], route_class=StrictRoute)


@router.get("")
def list_kbs(state: State, access: Caller) -> list[str]:
    """Names of the knowledge bases this caller may read."""
    return [name for name in state.kbs.names() if access.can(name, "read")]


@router.post("", status_code=201)
def create_kb(body: CreateKnowledgeBase, state: State, access: Caller) -> KnowledgeBaseInfo:
    """Create an empty knowledge base (409 if the name is taken)."""
    access.require(body.name, "write")
    state.kbs.create(body.name, body.embedder)
    return _info(state, body.name)


@router.get("/{name}")
def kb_info(name: str, state: State, access: Caller) -> KnowledgeBaseInfo:
    access.require(name, "read")
    return _info(state, name)


@router.delete("/{name}", status_code=204)
def delete_kb(name: str, state: State, access: Caller) -> Response:
    """Delete a knowledge base with its index and uploaded files."""
    access.require(name, "write")
    state.kbs.delete(name)
    return Response(status_code=204)


@router.get("/{name}/sources")
def list_sources(name: str, state: State, access: Caller) -> list[SourceInfo]:
    access.require(name, "read")
    return [SourceInfo(source=source, chunks=chunks) for source, chunks in state.kbs.sources(name)]


@router.delete("/{name}/sources/{source:path}")
def delete_source(name: str, source: str, state: State, access: Caller) -> dict[str, int]:
    """Delete a source (as listed) from the index, and its uploaded file; answers stop citing it at once."""
    access.require(name, "write")
    return {"deleted_chunks": state.kbs.delete_source(name, source)}


@router.post("/{name}/files", status_code=202)
async def upload_files(name: str, files: Annotated[list[UploadFile], File()], state: State, access: Caller,
                       response: Response) -> Job:
    """Upload files and index them as a job (GET /v1/jobs/{id}, or its /events stream). Names are reduced to a
    plain file name; 413 for too many or too large files, 415 for a type no loader reads."""
    access.require(name, "write")
    state.kbs.get(name)
    settings = state.settings
    if len(files) > settings.max_files:
        raise FileTooLargeError(f"{len(files)} files in one upload: at most {settings.max_files}")
    names = [safe_name(f.filename) for f in files]
    for file_name, file in zip(names, files):
        check_type(file_name)
        if file.size is not None and file.size > settings.max_upload_bytes():
            raise FileTooLargeError(f"{file_name!r} is larger than {settings.max_upload_mb:g} MB")
    upload = state.kbs.stage(name)
    try:
        for file_name, file in zip(names, files):
            await run_in_threadpool(upload.add, file_name, file.file, settings.max_upload_bytes())
        job_id = new_job_id()
        await run_in_threadpool(upload.staged, job_id)
    except BaseException:
        upload.finish()
        raise
    job = state.jobs.submit("upload", name, lambda progress: state.kbs.index_upload(name, upload, progress),
                            lambda report: _report(state, name, report), job_id)
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job


@router.post("/{name}/reindex", status_code=202)
def reindex(name: str, state: State, access: Caller, response: Response, body: Reindex | None = None) -> Job:
    """Index the knowledge base's files again as a job (`rebuild`: afresh)."""
    access.require(name, "write")
    state.kbs.get(name)
    rebuild = body.rebuild if body is not None else False
    job = state.jobs.submit("reindex", name, lambda progress: state.kbs.reindex(name, rebuild, progress),
                            lambda report: _report(state, name, report))
    response.headers["Location"] = f"/v1/jobs/{job.id}"
    return job


def _info(state: ServerState, name: str) -> KnowledgeBaseInfo:
    kb = state.kbs.get(name)
    facts = kb.info()
    facts["sources"] = [state.kbs.public_source(kb, s) for s in facts["sources"]]
    for local in ("path", "embedder_spec", "reranker"):  # server-side paths stay on the server
        facts.pop(local, None)
    return KnowledgeBaseInfo(**facts)


def _report(state: ServerState, name: str, report: IndexReport) -> dict:
    kb = state.kbs.get(name)
    return report_dict(report, lambda source: state.kbs.public_source(kb, source))
