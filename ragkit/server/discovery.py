"""How `ragkit ask` finds a running `ragkit serve`: the server writes a small state file into the indexes directory
it serves while it runs (loopback, no API keys only), and removes it on exit."""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

STATE_FILE = ".ragkit-serve.json"
"""The state file's name inside the indexes directory."""


class ServerInfo(BaseModel):
    """What a running server says about itself."""

    model_config = ConfigDict(extra="forbid")

    url: str
    """Its base URL, e.g. http://127.0.0.1:8000."""
    pid: int
    """Its process id (a file left by a process that died is ignored)."""
    model: str | None = None
    """The model it answers with (None: the default preset)."""


@contextlib.contextmanager
def announced(indexes: Path, info: ServerInfo) -> Iterator[None]:
    """Write the state file for as long as the block runs; only this process's own file is removed after."""
    path = indexes / STATE_FILE
    indexes.mkdir(parents=True, exist_ok=True)
    temp = path.with_suffix(f".{os.getpid()}.tmp")
    temp.write_text(info.model_dump_json())
    os.replace(temp, path)
    try:
        yield
    finally:
        found = read_state(indexes)
        if found is not None and found.pid == info.pid:
            path.unlink(missing_ok=True)


def read_state(indexes: Path) -> ServerInfo | None:
    """The state file's contents; None when it is missing or unreadable."""
    try:
        return ServerInfo.model_validate(json.loads((indexes / STATE_FILE).read_text()))
    except (OSError, ValueError, ValidationError):
        return None


def running_server(indexes: Path) -> ServerInfo | None:
    """The server announced for this indexes directory, if its process is still alive."""
    info = read_state(indexes)
    if info is None:
        return None
    try:
        os.kill(info.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, another user's
        pass
    return info
