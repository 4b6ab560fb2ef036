"""Where a running ``ecomap serve`` can be reached, so that the command line can work while it serves.

An on-disk store can be opened by one process only; while ``ecomap serve`` runs, its Oxigraph server holds
the store, and the command line reaches it over the SPARQL 1.1 Protocol instead, on loopback. ``serve``
leaves a small note (``serving.json``) in each store folder saying where; the note is trusted only while
the process that wrote it is alive.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path

from graph.files import read_whole
from graph.settings import Endpoint

NOTE = "serving.json"
RESTART = "restart-requested"
RESTARTED = "restarted-on-request"
RESTART_SLACK_S = 2.0
CHANGED = "data-changed"


@dataclass(frozen=True)
class Serving:
    query_url: str
    update_url: str
    store_url: str
    pid: int

    @property
    def endpoint(self) -> Endpoint:
        return Endpoint(self.query_url, self.update_url, self.store_url)


def announce(store_path: Path, serving: Serving) -> None:
    temporary = store_path / f".{NOTE}.{os.getpid()}"
    temporary.write_text(json.dumps(asdict(serving)), encoding="utf-8")
    temporary.replace(store_path / NOTE)


def withdraw(store_path: Path) -> None:
    (store_path / NOTE).unlink(missing_ok=True)


def running(store_path: Path) -> Serving | None:
    """Where the store is being served now, or ``None`` if no live ``ecomap serve`` holds it."""
    note = store_path / NOTE
    try:
        serving = Serving(**json.loads(note.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    try:
        os.kill(serving.pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, but another user's
    return serving


@dataclass(frozen=True)
class Supervision:
    """What the processes using a store ``ecomap serve`` runs share through its folder. A web worker may ask the
    supervisor to restart the store's server (to stop a query on which the store is silent past the time limit, which
    nothing else stops), and learn whether it did so since a moment (so that requests cut off by that restart are sent
    again, not taken for the store's crash). And every process that changes the store (a worker's approval,
    ``ecomap load``) announces it once the change is made, so that the workers read the data version again only then
    (``api.answers.Versions``) rather than once per request."""

    store_path: Path

    def announce_change(self) -> None:
        """A new token in the store's folder, written whole (renamed into place)."""
        temporary = self.store_path / f".{CHANGED}.{os.getpid()}.{secrets.token_hex(4)}"
        temporary.write_bytes(secrets.token_bytes(16))
        temporary.replace(self.store_path / CHANGED)

    def last_change(self) -> bytes | None:
        """The token of the last change announced (``None`` before any): read on every request, so read with the
        operating system's calls on a path joined once (4 µs; 13 µs through ``pathlib``)."""
        try:
            return read_whole(self._changed)
        except FileNotFoundError:
            return None

    @cached_property
    def _changed(self) -> str:
        return str(self.store_path / CHANGED)

    def request_restart(self) -> None:
        (self.store_path / RESTART).touch()

    def restarted_since(self, moment: float, *, slack: float = RESTART_SLACK_S) -> bool:
        """Whether the supervisor restarted the server on request at or after ``moment`` (``time.time()``), give or
        take ``slack``: a file's time is the kernel's coarse clock, which lags ``time.time()``, and a request sent
        between the note and the kill dies of the restart too (one was taken for a crash's culprit)."""
        try:
            return (self.store_path / RESTARTED).stat().st_mtime >= moment - slack
        except FileNotFoundError:
            return False


def restart_requested(store_path: Path) -> bool:
    """Whether a restart was asked for; asking notes the restart about to happen, before it cuts off the requests in
    flight, and then clears the request (in that order, so that a query overrunning in between finds the restart
    noted and does not ask again)."""
    if not (store_path / RESTART).exists():
        return False
    (store_path / RESTARTED).touch()
    (store_path / RESTART).unlink(missing_ok=True)
    return True
