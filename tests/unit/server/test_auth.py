"""API keys: hashed at rest, scoped per index, revocable while the server runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from ragkit.server.auth import Access, Grant, KeyStore, StoredKey, authenticate
from ragkit.server.errors import ForbiddenError, NotFoundError, UnauthorizedError

pytestmark = pytest.mark.unit


def test_keys_are_stored_hashed_and_found_by_token(tmp_path: Path):
    store = KeyStore(tmp_path / "keys.json")
    key, token = store.add([Grant(index="docs", scope="read")], note="app")
    assert token.startswith("rk-") and token not in (tmp_path / "keys.json").read_text()
    assert os.stat(tmp_path / "keys.json").st_mode & 0o077 == 0
    assert store.find(token) == key and store.find(token + "x") is None
    store.remove(key.id)
    assert store.find(token) is None
    with pytest.raises(NotFoundError):
        store.remove(key.id)


def test_a_key_added_by_another_process_is_seen(tmp_path: Path):
    serving = KeyStore(tmp_path / "keys.json")
    assert serving.find("rk-nothing") is None
    _, token = KeyStore(tmp_path / "keys.json").add([Grant(index="*", scope="read")])
    assert serving.find(token) is not None


def test_scopes_write_includes_read_and_star_is_every_index():
    assert Access(None).can("x", "write")  # keys off
    key = StoredKey(id="1", sha256="0", grants=[Grant(index="docs", scope="read"), Grant(index="*", scope="read"),
                                                 Grant(index="知识库", scope="write")])
    access = Access(key)
    assert access.can("docs", "read") and access.can("anything", "read") and access.can("知识库", "write")
    with pytest.raises(ForbiddenError, match="write"):
        access.require("docs", "write")


def test_authenticate_reads_bearer_or_x_api_key(tmp_path: Path):
    store = KeyStore(tmp_path / "keys.json")
    _, token = store.add([Grant(index="*", scope="read")])
    assert authenticate(store, f"Bearer {token}", None).key is not None
    assert authenticate(store, None, token).key is not None
    assert authenticate(None, None, None).key is None
    with pytest.raises(UnauthorizedError, match="required"):
        authenticate(store, None, None)
    with pytest.raises(UnauthorizedError, match="unknown"):
        authenticate(store, "Bearer rk-bad", None)
