"""create_app: the FastAPI app serving every knowledge base under one directory; all state lives on app.state."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from langchain_core.language_models import BaseChatModel
from starlette.concurrency import run_in_threadpool
from starlette.types import Scope

from ragkit.server.auth import KeyStore
from ragkit.server.errors import error_body, install_error_handlers, log
from ragkit.server.gate import Gate
from ragkit.server.jobs import JOBS_DIR, Jobs
from ragkit.server.kbs import ServedKnowledgeBases
from ragkit.server.limits import BodyLimit, RouteLimit
from ragkit.server.metrics import Metrics, RequestMetrics
from ragkit.server.pool import ModelPool, PooledChatModel, worker_models
from ragkit.server.pruning import prune_event_logs
from ragkit.server.routes import ask, feedback, jobs, kbs, openai, ops
from ragkit.server.settings import ServerSettings
from ragkit.server.state import ServerState
from ragkit.server.workers import AnswerWorkers

LLM = BaseChatModel | Callable[[], BaseChatModel]
"""A chat model (shared by every worker), or a factory called once per worker."""
_UPLOAD = re.compile(r"^/v1/kbs/[^/]+/files/?$")


def create_app(settings: ServerSettings | None = None, llm: LLM | None = None) -> FastAPI:
    """The service. `llm` replaces the llama.cpp model of `settings.model` (tests inject a scripted one)."""
    settings = settings or ServerSettings()
    pool = ModelPool(_models(settings, llm))
    metrics = Metrics(queue_depth=lambda: pool.waiting, busy=lambda: pool.busy)
    state = ServerState(
        settings=settings,
        kbs=ServedKnowledgeBases(settings.indexes_root(), PooledChatModel(pool=pool), settings.embedder,
                           settings.embedders),
        pool=pool,
        workers=AnswerWorkers(settings.workers + settings.queue, settings.request_timeout_s),
        jobs=Jobs(settings.index_workers, settings.indexes_root() / JOBS_DIR),
        keys=KeyStore(settings.keys_path()) if settings.keys_required() else None,
        metrics=metrics,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if settings.preload:
            for model in pool.models:
                load = getattr(model, "load", None)
                if load is not None:
                    await run_in_threadpool(load)
        for warning in settings.warnings():
            log.warning("%s", warning)
        state.jobs.recovered(await run_in_threadpool(state.kbs.recover))
        pruning = asyncio.create_task(prune_event_logs(state))
        state.ready = True
        yield
        pruning.cancel()
        state.workers.shutdown()
        state.jobs.shutdown()

    app = FastAPI(title="ragkit", version="1", lifespan=lifespan,
                  description="Knowledge bases with cited answers; OpenAI-compatible chat where model `kb:NAME` "
                              "answers from knowledge base NAME.")
    app.state.ragkit = state
    install_error_handlers(app, settings.retry_after_s)
    for module in (kbs, jobs, ask, openai, feedback, ops):
        app.include_router(module.router)
    # Outermost last: metrics see every request; CORS answers preflights; the gate refuses on headers alone; the
    # body limit counts what the routes read.
    app.add_middleware(BodyLimit, limit=_route_limit(settings), error=_error)
    app.add_middleware(Gate, hosts=settings.hosts(), origins=set(settings.allowed_origins), keys=state.keys,
                       retry_after_s=settings.retry_after_s)
    if settings.allowed_origins:
        app.add_middleware(CORSMiddleware, allow_origins=settings.allowed_origins, allow_methods=["*"],
                           allow_headers=["authorization", "x-api-key", "content-type"])
    app.add_middleware(RequestMetrics, metrics=metrics)
    return app


def _route_limit(settings: ServerSettings) -> RouteLimit:
    """Uploads may carry max_files files of max_upload_mb; every other route a JSON body of max_json_kb."""
    upload, other = settings.max_files * settings.max_upload_bytes() + 2**20, settings.max_json_kb * 1024

    def limit(scope: Scope) -> int:
        return upload if scope["method"] == "POST" and _UPLOAD.match(scope["path"]) else other

    return limit


def _error(status: int, message: str, headers: dict[str, str]) -> JSONResponse:
    return JSONResponse(error_body(status, message), status, headers=headers)


def _models(settings: ServerSettings, llm: LLM | None) -> list[BaseChatModel]:
    """The model of each worker: `llm` (or one made by the factory per worker), else llama.cpp models."""
    if isinstance(llm, BaseChatModel):
        return [llm] * settings.workers
    if llm is not None:
        return [llm() for _ in range(settings.workers)]
    return worker_models(settings.model, settings.workers)
