"""Fixtures: start real servers (scripted model, model-free embedder) and stop them after the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ragkit.server.settings import ServerSettings
from tests.integration.server.live import Factory, LiveServer, quoting_model, with_docs


@pytest.fixture()
def serve(tmp_path: Path) -> Iterator[Factory]:
    """serve(llm=..., **settings) -> a running LiveServer over tmp_path/indexes (hashing embedder by default)."""
    servers: list[LiveServer] = []

    def start(llm: Any = None, **settings: Any) -> LiveServer:
        settings = {"indexes": tmp_path / "indexes", "embedder": "hashing", **settings}
        server = LiveServer(ServerSettings(**settings), llm if llm is not None else quoting_model)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture()
def docs(serve: Factory) -> LiveServer:
    """A server with knowledge base 'docs' holding examples/kb."""
    return with_docs(serve())
