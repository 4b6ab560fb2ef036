"""Dereferencing the map's links out (``ecomap links check --online``), politely: one request per host per interval,
results cached, the broken ones reported. Apart from ``graph.matching.links``, which the web workers import for the
links themselves: its HTTP client (httpx) would add 18 MiB to each of them (bench/README.md)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TypedDict
from urllib.parse import urlsplit

import httpx

from graph.matching.links import Link, Problem


class Checked(TypedDict, total=False):
    """What a URL answered: its status, or the error that stopped the request; and when (``time.time()``)."""

    checked: float
    status: int
    error: str


class Cache:
    """What each URL answered when last checked, kept in a JSON file so that repeated checks stay polite."""

    def __init__(self, path: Path, max_age_s: float) -> None:
        self.path, self.max_age_s = path, max_age_s
        self.entries: dict[str, Checked] = json.loads(path.read_text()) if path.exists() else {}

    def fresh(self, url: str, now: float) -> Checked | None:
        entry = self.entries.get(url)
        return entry if entry and now - float(entry["checked"]) < self.max_age_s else None

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.path.write_text(json.dumps(self.entries, indent=1, sort_keys=True))


def check_online(
    links: Iterable[Link],
    cache: Cache,
    *,
    interval_s: float = 1.0,
    timeout_s: float = 10.0,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> list[Problem]:
    """Dereference each distinct URL (HEAD, then GET where HEAD is refused), at most one request per host per
    ``interval_s``; a 4xx or 5xx answer or no answer is a problem. Answers are cached."""
    last_at: dict[str, float] = {}
    problems: list[Problem] = []
    by_url: dict[str, list[Link]] = {}
    for link in links:
        by_url.setdefault(link.url, []).append(link)
    headers = {"User-Agent": "ecomap-links-check (checks that the map's links still resolve)"}
    with httpx.Client(follow_redirects=True, timeout=timeout_s, headers=headers) as client:
        for url, found in by_url.items():
            entry = cache.fresh(url, time.time())
            if entry is None:
                host = urlsplit(url).netloc
                wait = last_at.get(host, -interval_s) + interval_s - clock()
                if wait > 0:
                    sleep(wait)
                last_at[host] = clock()
                entry = {"checked": time.time(), **_answer(client, url)}
                cache.entries[url] = entry
            if entry.get("error") or int(entry.get("status", 0)) >= 400:
                reason = entry.get("error") or f"answered {entry['status']}"
                problems.extend(Problem(link, f"broken: {reason}") for link in found)
    cache.save()
    return problems


def _answer(client: httpx.Client, url: str) -> Checked:
    try:
        response = client.head(url)
        if response.status_code in (405, 501):
            response = client.get(url)
        return {"status": response.status_code}
    except httpx.HTTPError as error:
        return {"error": f"{type(error).__name__}: {error}"[:200]}
