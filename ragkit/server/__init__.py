"""`ragkit serve`: the HTTP service over the knowledge bases (FastAPI; OpenAI-compatible chat included)."""

from ragkit.server.app import create_app
from ragkit.server.settings import ServerSettings

__all__ = ["ServerSettings", "create_app"]
