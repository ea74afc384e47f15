"""create_app: the FastAPI app serving every knowledge base under one directory; all state lives on app.state."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI
from langchain_core.language_models import BaseChatModel
from starlette.concurrency import run_in_threadpool

from ragkit.server.auth import KeyStore
from ragkit.server.errors import error_body, install_error_handlers
from ragkit.server.jobs import Jobs
from ragkit.server.kbs import KnowledgeBases
from ragkit.server.limits import BodyLimit
from ragkit.server.metrics import Metrics, RequestMetrics
from ragkit.server.pool import ModelPool, PooledChatModel, worker_models
from ragkit.server.routes import ask, feedback, jobs, kbs, openai, ops
from ragkit.server.settings import ServerSettings
from ragkit.server.state import ServerState
from ragkit.server.workers import AnswerWorkers

LLM = BaseChatModel | Callable[[], BaseChatModel]
"""A chat model (shared by every worker), or a factory called once per worker."""


def create_app(settings: ServerSettings | None = None, llm: LLM | None = None) -> FastAPI:
    """The service. `llm` replaces the llama.cpp model of `settings.model` (tests inject a scripted one)."""
    settings = settings or ServerSettings()
    pool = ModelPool(_models(settings, llm))
    metrics = Metrics(queue_depth=lambda: pool.waiting, busy=lambda: pool.busy)
    state = ServerState(
        settings=settings,
        kbs=KnowledgeBases(settings.indexes_root(), PooledChatModel(pool=pool), settings.embedder),
        pool=pool,
        workers=AnswerWorkers(settings.workers + settings.queue, settings.request_timeout_s),
        jobs=Jobs(),
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
        state.ready = True
        yield
        state.workers.shutdown()
        state.jobs.shutdown()

    app = FastAPI(title="ragkit", version="1", lifespan=lifespan,
                  description="Knowledge bases with cited answers; OpenAI-compatible chat where model `kb:NAME` "
                              "answers from knowledge base NAME.")
    app.state.ragkit = state
    install_error_handlers(app, settings.retry_after_s)
    for module in (kbs, jobs, ask, openai, feedback, ops):
        app.include_router(module.router)
    body_limit = settings.max_files * settings.max_upload_bytes() + 2**20
    app.add_middleware(BodyLimit, max_bytes=body_limit,
                       body=lambda status, message: json.dumps(error_body(status, message)).encode())
    app.add_middleware(RequestMetrics, metrics=metrics)
    return app


def _models(settings: ServerSettings, llm: LLM | None) -> list[BaseChatModel]:
    """The model of each worker: `llm` (or one made by the factory per worker), else llama.cpp models."""
    if isinstance(llm, BaseChatModel):
        return [llm] * settings.workers
    if llm is not None:
        return [llm() for _ in range(settings.workers)]
    return worker_models(settings.model, settings.workers)
