"""Indexing jobs: uploads and re-indexes run in background threads (one at a time per knowledge base), with
progress to poll or stream, and kept on disk across restarts."""

from __future__ import annotations

import threading
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ragkit import IndexReport, Progress, RagkitError, write_json
from ragkit.server.errors import NotFoundError, log, status_of

JobStatus = Literal["queued", "running", "done", "failed"]
KEEP_JOBS = 200
"""Finished jobs remembered (the oldest are forgotten first)."""
JOBS_DIR = ".jobs"
"""Where jobs are kept, inside the indexes directory (hidden: never a knowledge base)."""
INTERRUPTED = "interrupted by a server restart; the index is as its last save left it: run the job again"


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
    """Runs indexing jobs in a bounded pool of threads, one at a time per knowledge base (embedding already uses
    every core; a second tenant's upload should not wait for another's re-index), and remembers them in
    `directory` so a job a restart interrupted still answers with what became of it."""

    def __init__(self, workers: int = 2, directory: Path | None = None):
        self._executor = ThreadPoolExecutor(workers, thread_name_prefix="ragkit-index")
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._queues: dict[str, deque[tuple[Job, JobWork, ReportView]]] = {}
        """Waiting jobs per knowledge base; a key exists while one of its jobs runs."""
        self._lock = threading.Lock()
        self.directory = directory
        for job in self._stored():
            self._jobs[job.id] = job

    def submit(self, kind: Literal["upload", "reindex"], index: str, work: JobWork, view: ReportView,
               job_id: str | None = None) -> Job:
        """Queue `work(progress)` behind the knowledge base's other jobs; `view` turns its report into what
        clients see."""
        job = Job(id=job_id or new_job_id(), kind=kind, index=index)
        with self._lock:
            self._jobs[job.id] = job
            while len(self._jobs) > KEEP_JOBS and next(iter(self._jobs.values())).ended:
                self._forget(self._jobs.popitem(last=False)[0])
            self._save(job)
            idle = index not in self._queues
            self._queues.setdefault(index, deque()).append((job, work, view))
        if idle:
            self._executor.submit(self._drain, index)
        return job.model_copy()

    def get(self, job_id: str) -> Job:
        """A copy of the job's current state; NotFoundError for unknown ids."""
        with self._lock:
            if job_id not in self._jobs:
                raise NotFoundError(f"unknown job {job_id!r}")
            return self._jobs[job_id].model_copy()

    def recovered(self, outcomes: dict[str, tuple[bool, str]]) -> None:
        """Mark the jobs a restart interrupted: an upload as recovery left it (KnowledgeBases.recover), any other
        as failed (the index is as its last save left it)."""
        with self._lock:
            for job in self._jobs.values():
                if job.ended:
                    continue
                indexed, what = outcomes.get(job.id, (False, INTERRUPTED))
                job.status, job.finished = ("done" if indexed else "failed"), time.time()
                if indexed:
                    job.report = {"recovered": what}
                else:
                    job.error, job.error_status = what, 503
                self._save(job)

    def _drain(self, index: str) -> None:
        """Run the knowledge base's jobs in order until its queue is empty."""
        while True:
            with self._lock:
                queue = self._queues[index]
                if not queue:
                    del self._queues[index]
                    return
                job, work, view = queue.popleft()
            self._run(job, work, view)

    def _run(self, job: Job, work: JobWork, view: ReportView) -> None:
        def progress(stage: str, done: int, total: int) -> None:
            with self._lock:
                job.stage, job.done, job.total = stage, done, total

        with self._lock:
            job.status = "running"
            self._save(job)
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
            self._save(job)

    def _save(self, job: Job) -> None:
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            write_json(self.directory / f"{job.id}.json", job.model_dump(mode="json"))

    def _forget(self, job_id: str) -> None:
        if self.directory is not None:
            (self.directory / f"{job_id}.json").unlink(missing_ok=True)

    def _stored(self) -> list[Job]:
        """The jobs kept in `directory`, oldest first (damaged files are skipped)."""
        jobs = []
        for path in self.directory.glob("*.json") if self.directory is not None and self.directory.is_dir() else []:
            try:
                jobs.append(Job.model_validate_json(path.read_bytes()))
            except (OSError, ValueError):
                path.unlink(missing_ok=True)
        return sorted(jobs, key=lambda job: job.created)[-KEEP_JOBS:]

    def shutdown(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)


def new_job_id() -> str:
    return uuid.uuid4().hex


def report_dict(report: IndexReport, show: Callable[[str], str]) -> dict[str, Any]:
    """An IndexReport for clients, sources shown with `show`."""
    data = asdict(report)
    data["skipped"] = [{"source": show(source), "reason": reason} for source, reason in report.skipped]
    return data
