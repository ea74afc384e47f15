"""How `ragkit serve` runs: typed settings from flags, else RAGKIT_SERVE_* environment variables."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from ragkit import indexes_dir

KEYS_FILE = Path(".keys") / "keys.json"
"""Where API keys live by default, relative to the indexes directory."""


class ServerSettings(BaseSettings):
    """Settings of the HTTP service; every field can be set as RAGKIT_SERVE_<FIELD> (e.g. RAGKIT_SERVE_PORT)."""

    model_config = SettingsConfigDict(env_prefix="RAGKIT_SERVE_", extra="forbid", frozen=True)

    host: str = "127.0.0.1"
    """Address to bind; anything but loopback makes API keys required."""
    port: int = Field(8000, ge=0, le=65535)
    """TCP port (0: any free one)."""
    indexes: Path | None = None
    """Directory of the served knowledge bases; None: $RAGKIT_INDEXES, else ./indexes."""
    model: str | None = None
    """Answering model: a preset (qwen2.5-1.5b, gemma3-270m, ...) or a .gguf path; None: ragkit's default preset."""
    embedder: str | None = None
    """Embedder spec for knowledge bases created without one (e.g. 'hashing'); None: the packaged default."""
    workers: int = Field(1, ge=1, le=16)
    """Model workers: answers generated at the same time (llama.cpp contexts serve one generation each)."""
    queue: int = Field(8, ge=0, le=1024)
    """Requests that may wait for a model worker; beyond that the server answers 503 with Retry-After."""
    retry_after_s: int = Field(5, ge=1)
    """Retry-After of a 503 (queue full)."""
    request_timeout_s: float = Field(300.0, gt=0)
    """Longest an answer may take, queueing included; past it the generation is stopped and 504 returned."""
    max_upload_mb: float = Field(50.0, gt=0)
    """Largest file one upload may carry."""
    max_files: int = Field(20, ge=1)
    """Most files in one upload."""
    max_json_kb: int = Field(1024, ge=1, le=64 * 1024)
    """Largest body of a JSON route (KiB), counted as it arrives (chunked bodies too)."""
    allowed_hosts: list[str] = Field(default_factory=list)
    """Host names the server answers to besides loopback ones and --host ('*': any; the default when bound to
    every address, 0.0.0.0 or ::): a request naming another Host is refused (DNS rebinding)."""
    allowed_origins: list[str] = Field(default_factory=list)
    """Web origins (https://app.example) that may send state-changing requests and read answers (CORS); none by
    default: a browser page of another origin is refused."""
    embedders: list[str] = Field(default_factory=list)
    """Embedder specs clients may choose for new knowledge bases, besides the packaged ones and --embedder."""
    index_workers: int = Field(2, ge=1, le=16)
    """Indexing jobs run at once (one at a time per knowledge base), so one re-index does not stall others."""
    events_max_age_days: float = Field(90.0, gt=0)
    """Answer-log events older than this are deleted (with their feedback)."""
    events_max_mb: float = Field(64.0, gt=0)
    """Largest answer log of one knowledge base; the oldest events go first."""
    api_keys: Literal["auto", "required"] = "auto"
    """'auto': keys required unless bound to a loopback address; 'required': always."""
    keys_file: Path | None = None
    """JSON file of hashed API keys; None: <indexes>/.keys/keys.json."""
    preload: bool = False
    """Load the answering model at start-up (readiness waits for it) instead of on the first question."""

    def indexes_root(self) -> Path:
        """The directory holding the knowledge bases."""
        return self.indexes.resolve() if self.indexes is not None else indexes_dir()

    def keys_path(self) -> Path:
        """The API key file in force."""
        return self.keys_file if self.keys_file is not None else self.indexes_root() / KEYS_FILE

    def keys_required(self) -> bool:
        """Whether requests must carry an API key."""
        return self.api_keys == "required" or not is_loopback(self.host)

    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 2**20)

    def hosts(self) -> set[str] | None:
        """Host names requests may name (None: any)."""
        if "*" in self.allowed_hosts or (not self.allowed_hosts and self.host in WILDCARD_HOSTS):
            return None
        return {*LOOPBACK_NAMES, self.host.strip("[]").lower(), *(h.lower() for h in self.allowed_hosts)}

    def warnings(self) -> list[str]:
        """What an operator should hear at start-up: keys required but none exist, every address bound."""
        from ragkit.server.auth import KeyStore

        found = []
        if self.keys_required() and not KeyStore(self.keys_path()).count():
            found.append(f"API keys are required but {self.keys_path()} holds none: every request but /healthz "
                         "and /readyz is refused (401); add one with `ragkit serve keys add`")
        if self.host in WILDCARD_HOSTS and not self.allowed_hosts:
            found.append(f"bound to every address ({self.host}): any Host header is served; name the hosts "
                         "clients use with --allowed-host")
        return found


LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
WILDCARD_HOSTS = frozenset({"0.0.0.0", "::", ""})


def is_loopback(host: str) -> bool:
    """True for localhost and loopback addresses (127.0.0.0/8, ::1)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
