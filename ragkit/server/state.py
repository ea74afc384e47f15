"""What one app holds (on `app.state.ragkit`), and the FastAPI dependencies that hand it to routes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Header, Request

from ragkit.server.auth import Access, KeyStore, authenticate
from ragkit.server.jobs import Jobs
from ragkit.server.kbs import ServedKnowledgeBases
from ragkit.server.metrics import Metrics
from ragkit.server.pool import ModelPool
from ragkit.server.settings import ServerSettings
from ragkit.server.workers import AnswerWorkers


@dataclass
class ServerState:
    """Everything a running app shares between requests."""

    settings: ServerSettings
    kbs: ServedKnowledgeBases
    pool: ModelPool
    workers: AnswerWorkers
    jobs: Jobs
    keys: KeyStore | None
    """None when API keys are off (loopback)."""
    metrics: Metrics
    ready: bool = False
    """Set once start-up (and the model preload, if asked for) is done."""


def get_state(request: Request) -> ServerState:
    return request.app.state.ragkit


def get_access(state: Annotated[ServerState, Depends(get_state)],
               authorization: Annotated[str | None, Header()] = None,
               x_api_key: Annotated[str | None, Header()] = None) -> Access:
    return authenticate(state.keys, authorization, x_api_key)


State = Annotated[ServerState, Depends(get_state)]
Caller = Annotated[Access, Depends(get_access)]
