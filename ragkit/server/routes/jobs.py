"""Indexing jobs: their state, or a stream of their progress."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from fastapi import APIRouter
from sse_starlette import EventSourceResponse, ServerSentEvent

from ragkit.server.auth import Access
from ragkit.server.jobs import Job
from ragkit.server.sse import event, sse_response
from ragkit.server.state import Caller, ServerState, State
from ragkit.server.strict_json import StrictRoute

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], route_class=StrictRoute)
POLL_S = 0.2


@router.get("/{job_id}")
def get_job(job_id: str, state: State, access: Caller) -> Job:
    return _job(state, access, job_id)


@router.get("/{job_id}/events")
async def job_events(job_id: str, state: State, access: Caller) -> EventSourceResponse:
    """`progress` events ({stage, done, total}) while it runs, then one `done` or `failed` event (the Job)."""
    job = _job(state, access, job_id)

    async def events() -> AsyncIterator[ServerSentEvent]:
        nonlocal job
        last = None
        while not job.ended:
            now = (job.status, job.stage, job.done, job.total)
            if now != last:
                yield event({"status": job.status, "stage": job.stage, "done": job.done, "total": job.total},
                            "progress")
                last = now
            await asyncio.sleep(POLL_S)
            job = state.jobs.get(job_id)
        yield event(job.model_dump(mode="json"), job.status)

    return sse_response(events())


def _job(state: ServerState, access: Access, job_id: str) -> Job:
    job = state.jobs.get(job_id)
    access.require(job.index, "read")
    return job
