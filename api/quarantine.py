"""Query texts that took the store down, and the clients who sent them, kept away for a while.

ecomap refuses every query it knows to be too deep for the store (``api/query_depth.py``), but a measure is only a
measure. When the store crashes with a client's query in flight, or runs one past its time limit so long that its
server has to be restarted, that text is held back for a day, whoever sends it, and its sender's queries are refused
for ``ECOMAP_PENALTY_SECONDS``: repeating what took the store down costs the one who does it, not everyone else. A
text that only happened to be in flight beside the culprit is held back too; that is the price of not guessing.

Every worker shares one folder (under ``ECOMAP_CACHE``): a file per text (its digest) and per client, its
modification time the moment it was convicted.
"""

from __future__ import annotations

import hashlib
import math
import os
import time
from pathlib import Path

TEXT_SECONDS = 24 * 3600
MAX_ENTRIES = 10_000


class Quarantine:
    def __init__(self, folder: Path, client_seconds: float) -> None:
        self.texts = folder / "texts"
        self.clients = folder / "clients"
        self.client_seconds = client_seconds
        self._convictions = 0

    @staticmethod
    def _name(value: str) -> str:
        return hashlib.blake2b(value.encode(), digest_size=16).hexdigest()

    def text_held(self, text: str) -> bool:
        return _left(f"{self.texts}/{self._name(text)}", TEXT_SECONDS) > 0

    def client_held(self, client: str) -> int:
        """How many seconds more the client's queries are refused (0: not held; never, with no penalty set)."""
        if self.client_seconds <= 0:
            return 0
        return math.ceil(max(0.0, _left(f"{self.clients}/{self._name(client)}", self.client_seconds)))

    def convict(self, text: str, client: str) -> None:
        for folder, name in ((self.texts, self._name(text)), (self.clients, self._name(client))):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / name).touch()
        self._convictions += 1
        if self._convictions % 100 == 0:
            self._forget_the_oldest()

    def _forget_the_oldest(self) -> None:
        for folder in (self.texts, self.clients):
            entries = sorted(folder.iterdir(), key=lambda p: p.stat().st_mtime)
            for old in entries[: max(0, len(entries) - MAX_ENTRIES)]:
                old.unlink(missing_ok=True)


def _left(path: str, seconds: float) -> float:
    """Seconds left of a hold; read for every query, so with ``os.stat`` (``pathlib`` costs twice as much)."""
    try:
        return os.stat(path).st_mtime + seconds - time.time()  # noqa: PTH116 (a string path, joined once)
    except FileNotFoundError:
        return 0
