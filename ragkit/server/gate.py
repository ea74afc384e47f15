"""ASGI middleware that refuses a request from its headers alone, before any body is read: an unknown Host (DNS
rebinding), a state-changing request from another web origin (cross-site requests), a missing or unknown API key.

/healthz answers every caller; with keys required, everything else (/readyz aside) needs a valid key, /docs,
/openapi.json and /metrics included. Which knowledge bases a key may use is checked by the routes.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from ragkit import RagkitError
from ragkit.server.auth import KeyStore, authenticate
from ragkit.server.errors import ForbiddenError, error_response
from ragkit.server.limits import CLOSE

OPEN_PATHS = frozenset({"/healthz"})
"""Answered whatever the Host, Origin or key."""
KEYLESS_PATHS = frozenset({"/healthz", "/readyz"})
"""Answered without a key (probes of a load balancer or an orchestrator)."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class Gate:
    """ASGI middleware: Host allow-list (`hosts`, None: any), Origin allow-list for state-changing methods (same
    origin always allowed), API key when `keys` gives a KeyStore."""

    def __init__(self, app: ASGIApp, hosts: set[str] | None, origins: set[str], keys: KeyStore | None,
                 retry_after_s: int):
        self.app = app
        self.hosts = hosts
        self.origins = origins
        self.keys = keys
        self.retry_after_s = retry_after_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in OPEN_PATHS:
            await self.app(scope, receive, send)
            return
        try:
            self.check(scope)
        except RagkitError as exc:
            response = error_response(exc, self.retry_after_s)
            response.headers.update(CLOSE)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def check(self, scope: Scope) -> None:
        """Raise the error a request's headers earn, if any."""
        headers = Headers(scope=scope)
        host = headers.get("host", "")
        if self.hosts is not None and _hostname(host) not in self.hosts:
            raise ForbiddenError(f"unknown Host {host[:100]!r}: this server answers to {', '.join(sorted(self.hosts))} "
                                 "(set allowed_hosts to add names)")
        origin = headers.get("origin")
        if origin is not None and scope["method"] not in SAFE_METHODS and not self._allowed(origin, host):
            raise ForbiddenError(f"cross-origin request from {origin[:100]!r} refused (set allowed_origins to "
                                 "let a web page of that origin use the server)")
        if self.keys is not None and scope["path"] not in KEYLESS_PATHS:
            authenticate(self.keys, headers.get("authorization"), headers.get("x-api-key"))

    def _allowed(self, origin: str, host: str) -> bool:
        """Same origin (the Origin's host:port is the Host), or one configured ('*': any)."""
        return origin in self.origins or "*" in self.origins or (origin != "null" and urlsplit(origin).netloc == host)


def _hostname(host: str) -> str:
    """The name of a Host header without its port: 'localhost:8000' -> 'localhost', '[::1]:8000' -> '::1'."""
    if host.startswith("["):
        return host[1:].partition("]")[0].lower()
    return host.rpartition(":")[0].lower() if host.count(":") == 1 else host.lower()
