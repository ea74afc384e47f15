"""`ragkit serve --ray`: the same FastAPI app as a Ray Serve deployment of `replicas` copies, for more than one
machine (Ray places the replicas on the cluster's nodes; every node must see the indexes directory).

Each replica builds its own app (knowledge bases, model workers, queue) from the settings, so a replica answers
503 + Retry-After when its own workers and queue are full, and Ray's proxy spreads requests over the replicas.
Indexing jobs live in the replica that runs them: poll `/v1/jobs/ID` through a single replica, or index with
`ragkit index` before serving.
"""

from __future__ import annotations

from typing import Any

from ragkit import RagkitError
from ragkit.server.app import LLM, create_app
from ragkit.server.settings import ServerSettings

APP_NAME = "ragkit"


def application(settings: ServerSettings, replicas: int = 1, replica_cpus: float = 1.0,
                llm: LLM | None = None) -> Any:
    """The Ray Serve application: `replicas` copies of create_app(settings, llm), each reserving `replica_cpus`."""
    serve = _serve()
    deployment = serve.deployment(
        name=APP_NAME, num_replicas=replicas, ray_actor_options={"num_cpus": replica_cpus},
        # One replica takes what its model workers and queue can hold; it refuses the rest itself (503).
        max_ongoing_requests=settings.workers + settings.queue + 1,
    )
    ingress = serve.ingress(lambda: create_app(settings, llm))

    class Ragkit:
        """One replica: the FastAPI app, built in the replica's process."""

    return deployment(ingress(Ragkit)).bind()


def run(settings: ServerSettings, replicas: int, replica_cpus: float, address: str | None = None,
        llm: LLM | None = None, blocking: bool = True) -> None:
    """Start (or join, with `address` or $RAY_ADDRESS) a Ray cluster and serve the app on settings.host:port."""
    import ray

    serve = _serve()
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    serve.start(http_options={"host": settings.host, "port": settings.port})
    serve.run(application(settings, replicas, replica_cpus, llm), name=APP_NAME, route_prefix="/",
              blocking=blocking)


def _serve() -> Any:
    try:
        from ray import serve
    except ImportError as exc:
        raise RagkitError(f"install ray[serve] to use --ray ({exc})") from exc
    return serve
