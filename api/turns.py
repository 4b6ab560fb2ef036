"""Changes to the records take turns, across the workers of one ``ecomap serve``.

A moderator's decision reads the stores and then writes them: the claim on a submission is an update and then a read
of who holds it; an approval stamps the records' new versions in the staging store and then replaces the records in
the public store. The stores isolate each update, not a read and the writes that follow it (Oxigraph's updates read a
snapshot: two claims made at once both find the submission free, both are written, and both moderators lose), so two
decisions run side by side in two workers could both be refused, or leave a record's history ordered one way and its
public copy the other. They take turns instead: an ``asyncio`` lock among one worker's requests, and an advisory lock
on a file in the cache folder the workers share (released by the system if its holder dies). Decisions are rare and
short, so one turn for all of them costs nothing that matters.

What it does not cover: several ``ecomap serve`` on different machines writing to one remote store, which share no
folder (ARCHITECTURE.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import time
from collections.abc import AsyncIterator
from pathlib import Path

from api.errors import ProblemError

# Between tries for the file lock: short, for a decision waits for one that is nearly done.
POLL_S = (0.002, 0.05)


class Turns:
    """One decision at a time, among every process that shares ``folder``."""

    def __init__(self, folder: Path, patience_s: float) -> None:
        self._path = folder / "decisions.lock"
        self._patience_s = patience_s
        self._here = asyncio.Lock()

    @contextlib.asynccontextmanager
    async def turn(self) -> AsyncIterator[None]:
        """Hold the turn for the body; 503 with ``Retry-After`` if it is not free within the patience."""
        deadline = time.monotonic() + self._patience_s
        try:
            await asyncio.wait_for(self._here.acquire(), self._patience_s)
        except TimeoutError:
            raise self._busy() from None
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("ab") as handle:
                await self._lock_file(handle.fileno(), deadline)
                try:
                    yield
                finally:
                    fcntl.flock(handle, fcntl.LOCK_UN)
        finally:
            self._here.release()

    async def _lock_file(self, descriptor: int, deadline: float) -> None:
        """Try without blocking, so that a request given up on leaves no thread waiting to take the lock after."""
        pause = POLL_S[0]
        while True:
            try:
                fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise self._busy() from None
                await asyncio.sleep(pause)
                pause = min(pause * 2, POLL_S[1])

    def _busy(self) -> ProblemError:
        return ProblemError(
            503, "Another moderator's decision is taking long; try again shortly.", headers={"Retry-After": "5"}
        )
