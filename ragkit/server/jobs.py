"""Indexing jobs: uploads and re-indexes run one at a time in a background thread, with progress to poll or stream."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ragkit.errors import RagkitError
from ragkit.indexing import IndexReport, Progress
from ragkit.server.errors import NotFoundError, log, status_of

JobStatus = Literal["queued", "running", "done", "failed"]
KEEP_JOBS = 200
"""Finished jobs remembered (the oldest are forgotten first)."""


class Job(BaseModel):
    """An indexing job as clients see it."""

    model_config = ConfigDict(extra="forbid")

    id: str
    """Job id, for GET /v1/jobs/{id}."""
    kind: Literal["upload", "reindex"]
    """What the job does."""
    index: str
    """The knowledge base it writes."""
    status: JobStatus = "queued"
    """queued, running, done or failed."""
    stage: str | None = None
    """'read' (files) or 'embed' (chunks) while running."""
    done: int = 0
    """Items of the stage done."""
    total: int = 0
    """Items of the stage."""
    report: dict[str, Any] | None = None
    """The IndexReport once done (files, chunks, skipped files with reasons, seconds)."""
    error: str | None = None
    """Why it failed."""
    error_status: int | None = None
    """The HTTP status the failure maps to (400: the input's fault, 500: the server's)."""
    created: float = Field(default_factory=time.time)
    """Unix time it was submitted."""
    finished: float | None = None
    """Unix time it ended."""

    @property
    def ended(self) -> bool:
        return self.status in ("done", "failed")


JobWork = Callable[[Progress], IndexReport]
ReportView = Callable[[IndexReport], dict[str, Any]]


class Jobs:
    """Runs indexing jobs in one background thread (embedding already uses every core) and remembers them."""

    def __init__(self) -> None:
        self._executor = ThreadPoolExecutor(1, thread_name_prefix="ragkit-index")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._lock = threading.Lock()

    def submit(self, kind: Literal["upload", "reindex"], index: str, work: JobWork, view: ReportView) -> Job:
        """Queue `work(progress)`; `view` turns its report into what clients see."""
        job = Job(id=uuid.uuid4().hex, kind=kind, index=index)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS and next(iter(self._jobs.values())).ended:
                self._jobs.popitem(last=False)
        self._executor.submit(self._run, job, work, view)
        return job.model_copy()

    def get(self, job_id: str) -> Job:
        """A copy of the job's current state; NotFoundError for unknown ids."""
        with self._lock:
            if job_id not in self._jobs:
                raise NotFoundError(f"unknown job {job_id!r}")
            return self._jobs[job_id].model_copy()

    def _run(self, job: Job, work: JobWork, view: ReportView) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            with self._lock:
                job.stage, job.done, job.total = stage, done, total

        with self._lock:
            job.status = "running"
        try:
            report = view(work(progress))
            update: dict[str, Any] = {"status": "done", "report": report}
        except Exception as exc:  # noqa: BLE001 - a job's failure is its result
            if not isinstance(exc, RagkitError):
                log.exception("indexing job %s failed", job.id)
            message = str(exc) if isinstance(exc, RagkitError) else f"internal error ({type(exc).__name__})"
            update = {"status": "failed", "error": message, "error_status": status_of(exc)}
        with self._lock:
            for key, value in update.items():
                setattr(job, key, value)
            job.finished = time.time()

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def report_dict(report: IndexReport, show: Callable[[str], str]) -> dict[str, Any]:
    """An IndexReport for clients, sources shown with `show`."""
    data = asdict(report)
    data["skipped"] = [{"source": show(source), "reason": reason} for source, reason in report.skipped]
    return data
