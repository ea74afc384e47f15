"""The answer logs of every served knowledge base kept within their age and size limits (settings), pruned at
start-up and then every PRUNE_EVERY_S seconds in a thread."""

from __future__ import annotations

import asyncio

from starlette.concurrency import run_in_threadpool

from ragkit import EVENTS_FILE, EventLog
from ragkit.server.errors import log
from ragkit.server.state import ServerState

PRUNE_EVERY_S = 600.0


async def prune_event_logs(state: ServerState, every_s: float = PRUNE_EVERY_S) -> None:
    """Prune forever (the server cancels it on shutdown)."""
    while True:
        await run_in_threadpool(prune_once, state)
        await asyncio.sleep(every_s)


def prune_once(state: ServerState) -> int:
    """Prune each knowledge base's answer log once; returns the events deleted."""
    settings, deleted = state.settings, 0
    for name in state.kbs.names():
        directory = state.kbs.directory(name)
        if not (directory / EVENTS_FILE).is_file():
            continue
        try:
            deleted += EventLog(directory).prune(settings.events_max_age_days * 86400,
                                                 int(settings.events_max_mb * 2**20))
        except Exception:  # noqa: BLE001 - one damaged log must not stop the others (or the server)
            log.exception("could not prune the answer log of %r", name)
    return deleted
