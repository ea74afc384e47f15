"""API keys: random tokens shown once, stored as sha256 in a JSON file, each granting read or write on indexes.

A grant names one knowledge base or '*' (all); 'write' (upload, delete, re-index, create) includes 'read'
(list, info, ask, chat). The file is re-read when it changes, so `ragkit serve keys add` works on a running server.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
import threading
import time
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ragkit import InvalidInputError
from ragkit.server.errors import ForbiddenError, KeyFileError, NotFoundError, UnauthorizedError

Scope = Literal["read", "write"]
ALL = "*"
_PREFIX = "rk-"


class Grant(BaseModel):
    """Access to one knowledge base, or to all."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    index: str
    """A knowledge base name, or '*' for every one (including ones created later)."""
    scope: Scope
    """'read' (list, info, ask, chat) or 'write' (also create, upload, delete, re-index)."""


class StoredKey(BaseModel):
    """A key as kept at rest: its hash, never the key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    """Short public id, for `keys remove`."""
    sha256: str
    """sha256 of the key, hex."""
    grants: list[Grant]
    """What the key may do."""
    note: str = ""
    """Who or what the key is for."""
    created: float = Field(default_factory=time.time)
    """Unix time it was made."""


class KeyFile(BaseModel):
    """The key file's content."""

    model_config = ConfigDict(extra="forbid")

    keys: list[StoredKey] = Field(default_factory=list)
    """Every key."""


def key_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class KeyStore:
    """The key file: add, list, remove keys and look one up by the token a request carries."""

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._loaded: tuple[float, dict[str, StoredKey]] | None = None

    def keys(self) -> list[StoredKey]:
        return self._read().keys

    def count(self) -> int:
        """How many keys the file holds (0 when it is missing or unreadable)."""
        try:
            return len(self._read().keys)
        except KeyFileError:
            return 0

    def add(self, grants: list[Grant], note: str = "") -> tuple[StoredKey, str]:
        """A new key and its token (shown once: only the hash is written)."""
        if not grants:
            raise InvalidInputError("a key needs at least one grant (an index and a scope)")
        token = _PREFIX + secrets.token_urlsafe(32)
        key = StoredKey(id=secrets.token_hex(4), sha256=key_hash(token), grants=grants, note=note)
        with self._lock:
            content = self._read()
            content.keys.append(key)
            self._write(content)
        return key, token

    def remove(self, key_id: str) -> None:
        """Delete a key by id; NotFoundError if there is none."""
        with self._lock:
            content = self._read()
            kept = [k for k in content.keys if k.id != key_id]
            if len(kept) == len(content.keys):
                raise NotFoundError(f"no API key with id {key_id!r}")
            self._write(KeyFile(keys=kept))

    def find(self, token: str) -> StoredKey | None:
        """The key a token belongs to, or None."""
        return self._by_hash().get(key_hash(token))

    def _by_hash(self) -> dict[str, StoredKey]:
        mtime = self.path.stat().st_mtime if self.path.is_file() else -1.0
        with self._lock:
            if self._loaded is None or self._loaded[0] != mtime:
                self._loaded = (mtime, {k.sha256: k for k in self._read().keys})
            return self._loaded[1]

    def _read(self) -> KeyFile:
        if not self.path.is_file():
            return KeyFile()
        try:
            return KeyFile.model_validate_json(self.path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise KeyFileError(f"API key file {self.path} is unreadable: {exc.strerror or exc}") from None
        except ValidationError as exc:  # described without the file's content (no key hash or note shown)
            where = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'file'}: {e['msg']}"
                              for e in exc.errors(include_url=False, include_input=False)[:3])
            raise KeyFileError(f"API key file {self.path} is damaged ({where}): fix or remove it") from None

    def _write(self, content: KeyFile) -> None:
        """Write atomically, readable by the owner only."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".keys-")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(content.model_dump(mode="json"), out, indent=2)
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)


class Access:
    """What a request may do: everything (keys off), or what its key grants."""

    def __init__(self, key: StoredKey | None):
        self.key = key

    def can(self, index: str, scope: Scope) -> bool:
        if self.key is None:
            return True
        return any(g.index in (ALL, index) and (g.scope == "write" or scope == "read") for g in self.key.grants)

    def require(self, index: str, scope: Scope) -> None:
        """ForbiddenError unless the key grants `scope` on `index`."""
        if not self.can(index, scope):
            raise ForbiddenError(f"this API key has no {scope} access to knowledge base {index!r}")


def authenticate(store: KeyStore | None, authorization: str | None, api_key: str | None) -> Access:
    """The access of a request's `Authorization: Bearer KEY` (or `X-API-Key`); keys off when store is None."""
    if store is None:
        return Access(None)
    token = api_key
    if authorization and authorization.lower().startswith("bearer "):
        token = authorization[7:].strip()
    if not token:
        raise UnauthorizedError("an API key is required: send 'Authorization: Bearer KEY'")
    key = store.find(token)
    if key is None:
        raise UnauthorizedError("unknown API key")
    return Access(key)
