"""Liveness and readiness (no API key needed) and Prometheus metrics (with keys on: a key reading every knowledge
base, since the metrics name them all)."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from ragkit.server.auth import ALL
from ragkit.server.state import Caller, State
from ragkit.server.strict_json import StrictRoute

router = APIRouter(tags=["operations"], route_class=StrictRoute)


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is up."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(state: State) -> JSONResponse:
    """200 once start-up is done (the model loaded, with preload) and the indexes directory is readable."""
    root = state.settings.indexes_root()
    ready = state.ready and (root.is_dir() or not root.exists())
    body = {"status": "ready" if ready else "starting", "knowledge_bases": len(state.kbs.names()) if ready else 0,
            "queue_depth": state.pool.waiting, "busy_workers": state.pool.busy}
    return JSONResponse(body, 200 if ready else 503)


@router.get("/metrics")
def metrics(state: State, access: Caller) -> Response:
    access.require(ALL, "read")
    return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
