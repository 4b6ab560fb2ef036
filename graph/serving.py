"""Where a running ``ecomap serve`` can be reached, so that the command line can work while it serves.

An on-disk store can be opened by one process only; while ``ecomap serve`` runs, its Oxigraph server holds
the store, and the command line reaches it over the SPARQL 1.1 Protocol instead, on loopback. ``serve``
leaves a small note (``serving.json``) in each store folder saying where; the note is trusted only while
the process that wrote it is alive.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from graph.settings import Endpoint

NOTE = "serving.json"
RESTART = "restart-requested"


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


def request_restart(store_path: Path) -> None:
    """Ask ``ecomap serve`` to restart the store's server (to stop a query that ran past its time limit)."""
    (store_path / RESTART).touch()


def restart_requested(store_path: Path) -> bool:
    """Whether a restart was asked for; asking clears the request."""
    try:
        (store_path / RESTART).unlink()
    except FileNotFoundError:
        return False
    return True
