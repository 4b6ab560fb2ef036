"""Answers computed once per data version and shared by the workers: entity tags and a bounded cache on disk.

The public data changes only when a moderator (or ``ecomap load``) changes it, and every such change raises the
data version in the same update (``graph.version``). An answer is cached under the version read *before* it was
computed, and only if the version read *after* is the same. A version is only ever learnt from the store after the
store holds it, so an answer kept under version v was computed from v's data or later ones, never earlier; a reader
that learns v after an approval can therefore never get an answer from before it. Entity tags name the version (and
the request's variant), so a conditional request is answered with ``304`` without computing anything.

Where ``ecomap serve`` runs the store, reading the version for every request (a round trip to the store, most of
a lookup's cost) is not needed: each process that changes the store announces it in the store's folder once the
change is made, before it answers (``graph.serving.Supervision``), and a worker reads the version again only when the
announcement changed, or ``TRUSTED_S`` after its last read. A request made after an approval has returned therefore
finds the new announcement and reads the new version; one made while it is under way may still be answered as
before it, or with it (as it could if it had come a moment earlier, or later).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import heapq
import json
import os
import pickle
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Generic, TypeVar
from urllib.parse import unquote_plus

import anyio
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response
from fastapi.routing import APIRoute
from starlette.datastructures import MutableHeaders
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api import entity_tags
from api.responses import NOT_MODIFIED, STORE, documented
from graph.files import read_whole
from graph.serving import Supervision
from graph.store.interface import Store, StoreError
from graph.version import current_version, version_query

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])
MAX_ENTRIES = 5000
# How many answers a worker keeps between two trims of the cache to MAX_ENTRIES (each lists and stats every file).
TRIM_EVERY = 100
# The headers kept with an answer: what describes the body, not the request.
KEPT_HEADERS = ("content-type", "last-modified", "link", "vary", "ecomap-result-cap")
MAX_ENTRY_BYTES = 4 * 1024 * 1024
# How long a version read is trusted while no change is announced: a change made without announcing it (a writer
# that died first, or one that is not ecomap) is seen within this long.
TRUSTED_S = 2.0


@dataclass(frozen=True)
class Cached:
    body: bytes
    headers: dict[str, str]


class AnswerCache:
    """Files under ``folder``, one per (version, variant); the oldest go beyond ``max_entries``. Writes are
    atomic (a temporary file renamed into place), so workers sharing the folder never read half an answer. Written on
    the worker's event loop, so that the worker's next request finds the copy: from a thread, a client's quick repeat
    was made afresh, and no page got faster (bench/README.md)."""

    def __init__(self, folder: Path, max_entries: int = MAX_ENTRIES) -> None:
        self.folder = folder
        self.max_entries = max_entries
        self._writes = 0

    def get(self, key: str) -> Cached | None:
        try:
            raw = read_whole(f"{self.folder}/{key}")
        except OSError:
            return None
        head, _, body = raw.partition(b"\n")
        return Cached(body, json.loads(head))

    def put(self, key: str, body: bytes, headers: dict[str, str]) -> None:
        if len(body) > MAX_ENTRY_BYTES:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.folder, prefix=".answer.")
        with os.fdopen(handle, "wb") as out:
            out.write(json.dumps(headers).encode() + b"\n" + body)
        Path(temporary).replace(self.folder / key)
        self._writes += 1
        if self._writes % TRIM_EVERY == 0:
            self._trim()

    def _trim(self) -> None:
        """Remove the oldest answers beyond ``max_entries``. Another worker may be trimming too: an answer it removed
        between the listing and its stat or removal here is passed over."""
        entries: list[tuple[float, str]] = []
        with os.scandir(self.folder) as listing:
            for entry in listing:
                if not entry.name.startswith("."):
                    with contextlib.suppress(FileNotFoundError):
                        entries.append((entry.stat().st_mtime, entry.path))
        for _, path in heapq.nsmallest(max(0, len(entries) - self.max_entries), entries):
            Path(path).unlink(missing_ok=True)


class Versions:
    """The data version of the public store, and the tags and cache keys that depend on it."""

    def __init__(self, public: Store, base: str, cache: AnswerCache, changes: Supervision | None = None) -> None:
        self.public = public
        self.query = version_query(base)
        self.cache = cache
        self._changes = changes
        # The last version read: the change announced when it was read, and when (time.monotonic()).
        self._known: tuple[bytes | None, float, str] | None = None

    async def current(self) -> str:
        """The version. Where ``ecomap serve`` runs the store, the one read last, until a change is announced or
        ``TRUSTED_S`` have passed (for a writer that died before announcing its change, or one that is not ecomap)."""
        if self._changes is None:
            return await self._read()
        announced, now = self._changes.last_change(), time.monotonic()
        known = self._known
        if known is not None and known[0] == announced and now - known[1] < TRUSTED_S:
            return known[2]
        version = await self._read()
        self._known = (announced, now, version)
        return version

    async def _read(self) -> str:
        return current_version([row["version"].value for row in await self.public.solutions(self.query)])

    @staticmethod
    def key(version: str, *variant: str) -> str:
        digest = hashlib.sha256("\x1f".join(variant).encode()).hexdigest()[:40]
        return f"v{version}-{digest}"

    @staticmethod
    def tag(key: str) -> str:
        return f'"{key}"'

    async def remember(self, version: str, key: str, body: bytes, headers: dict[str, str]) -> None:
        """Keep ``body`` as the answer for ``key`` if the data are still at ``version`` (if the store cannot say,
        the answer stands and is only not kept)."""
        try:
            unchanged = await self.current() == version
        except StoreError:
            return
        if unchanged:
            self.cache.put(key, body, headers)


class KeptForVersion(Generic[T]):
    """One value computed from the public data, kept in this worker while the data version holds: kept under the
    version read before computing it, only if the version read after is the same (as answers are)."""

    def __init__(self, versions: Versions, compute: Callable[[], Awaitable[T]]) -> None:
        self.versions = versions
        self.compute = compute
        self._kept: tuple[str, T] | None = None
        # One computation at a time: requests that arrive meanwhile wait for it rather than repeat it.
        self._computing = asyncio.Lock()

    async def get(self) -> T:
        version = await self.versions.current()
        if self._kept is not None and self._kept[0] == version:
            return self._kept[1]
        async with self._computing:
            if self._kept is not None and self._kept[0] == version:
                return self._kept[1]
            return await self._compute(version)

    async def _compute(self, version: str) -> T:
        value = await self.compute()
        with contextlib.suppress(StoreError):  # if the store cannot say, the value stands and is only not kept
            if await self.versions.current() == version:
                self._kept = (version, value)
        return value


async def shared_for_version(folder: Path, version: str, compute: Callable[[], Awaitable[T]]) -> T:
    """A value computed once per data version by whichever worker sharing ``folder`` asks first, and read from there
    by the others (pickled: the folder is ecomap's own, as the kept answers are); while one computes it, the others
    wait for it rather than compute it too. Kept under the version read before computing: its data are that version's
    or later ones."""
    folder.mkdir(parents=True, exist_ok=True)
    kept = folder / f"v{version}.pickle"
    with (folder / ".lock").open("ab") as lock:
        await anyio.to_thread.run_sync(fcntl.flock, lock, fcntl.LOCK_EX)
        try:
            if kept.exists():
                return await anyio.to_thread.run_sync(lambda: pickle.loads(kept.read_bytes()))
            value = await compute()
            handle, temporary = tempfile.mkstemp(dir=folder, prefix=".value.")
            with os.fdopen(handle, "wb") as out:
                await anyio.to_thread.run_sync(pickle.dump, value, out)
            Path(temporary).replace(kept)
            for old in folder.glob("v*.pickle"):
                if old != kept:
                    old.unlink(missing_ok=True)
            return value
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def not_modified(if_none_match: str | None, key: str) -> bool:
    return entity_tags.matches(if_none_match, Versions.tag(key), strong=False)


# What a route declares (openapi_extra=KEPT) when its GET answer depends only on the public data, never on the staging
# store or the request's body: OncePerVersion keeps it once per data version. The OpenAPI shows it, for clients.
KEPT_FLAG = "x-ecomap-kept-per-data-version"
KEPT = {KEPT_FLAG: True}


def kept_get(
    router: APIRouter, path: str, summary: str, *answers: Mapping[int, dict[str, Any]], name: str | None = None
) -> Callable[[F], F]:
    """Declares ``GET path`` a route whose answer depends only on the public data: kept once per data version
    (:data:`KEPT`), documented with ``answers``, a 304 to a conditional request and a 503 while the store is down.
    ``name`` (the OpenAPI's operation id) where one function answers several paths."""
    return router.get(
        path,
        name=name,
        openapi_extra=KEPT,
        summary=summary,
        response_class=Response,
        responses=documented(*answers, NOT_MODIFIED, STORE),
    )


class KeptRoutes:
    """The routes (included without a prefix) whose GET answers are declared kept per data version, found for a
    path among those of its first segment: trying every kept route's regular expression on every GET was 2% of a
    lookup's CPU in the worker (profiled). So a kept route's first segment is fixed text."""

    def __init__(self, routes: Iterable[BaseRoute]) -> None:
        kept = [
            route
            for route in routes
            if isinstance(route, APIRoute)
            and "GET" in (route.methods or ())
            and (route.openapi_extra or {}).get(KEPT_FLAG)
        ]
        # By identity: a route compares equal by its path, endpoint and methods, one by one, and every request asks.
        self._ids = {id(route) for route in kept}
        self._by_segment: dict[str, list[APIRoute]] = {}  # in the app's order, as routing tries them
        for route in kept:
            segment = _first_segment(route.path)
            if "{" in segment:
                raise ValueError(f"{route.path}: a kept route's first segment must be fixed text")
            self._by_segment.setdefault(segment, []).append(route)

    def __contains__(self, route: object) -> bool:
        return id(route) in self._ids

    def find(self, path: str) -> APIRoute | None:
        candidates = self._by_segment.get(_first_segment(path), ())
        return next((route for route in candidates if route.path_regex.match(path)), None)


def _first_segment(path: str) -> str:
    return path.split("/", 2)[1] if path.startswith("/") else path


def kept_route(app: FastAPI, path: str) -> APIRoute | None:
    """The route that answers a GET of ``path`` if it declares its answer kept per data version (``create_app``
    keeps them in ``app.state.kept_routes``)."""
    kept: KeptRoutes = app.state.kept_routes
    return kept.find(path)


def kept_per_version(app: FastAPI, path: str) -> bool:
    return kept_route(app, path) is not None


def declared_parameters(app: FastAPI, route: APIRoute) -> frozenset[str]:
    """The query parameters the route's GET operation declares in the OpenAPI description, its dependencies' included
    (such as ``format=``)."""
    if not hasattr(app.state, "declared_parameters"):
        app.state.declared_parameters = {}
    known: dict[str, frozenset[str]] = app.state.declared_parameters
    path = route.path_format
    if path not in known:  # read once a route: this runs for every request of a kept page
        operation = app.openapi()["paths"].get(path, {}).get("get", {})  # none if left out of the OpenAPI
        known[path] = frozenset(p["name"] for p in operation.get("parameters", []) if p["in"] == "query")
    return known[path]


def without_undeclared(query_string: bytes, declared: frozenset[str]) -> bytes:
    """The query string with only the parameters ``declared`` (each as sent)."""
    kept = [
        part
        for part in query_string.split(b"&")
        if part and unquote_plus(part.split(b"=", 1)[0].decode("latin-1")) in declared
    ]
    return b"&".join(kept)


class OncePerVersion:
    """An ASGI middleware that serves the pages whose routes declare ``KEPT`` once per data version: ``304`` when the
    client's entity tag names the current version, the kept copy when there is one, otherwise the page as the app makes
    it, kept for the version read before it was made if that version still holds after, and if making it took long
    enough to be worth keeping (``Settings.keep_after_ms``, as for queries). A page is made and kept
    without the query parameters its route does not declare: before, ``?zz=<random>`` on any page made a new copy
    every time (6,500 requests filled the cache to 5,074 copies), evicting the ones worth keeping."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        route = (
            kept_route(scope["app"], scope["path"]) if scope["type"] == "http" and scope["method"] == "GET" else None
        )
        if route is None:
            await self.app(scope, receive, send)
            return
        declared = declared_parameters(scope["app"], route)
        scope = {**scope, "query_string": without_undeclared(scope["query_string"], declared)}
        request = Request(scope)
        services = scope["app"].state.services
        versions: Versions = services.versions
        try:
            version = await versions.current()
        except StoreError:
            await self.app(scope, receive, send)  # the page will say the store is away
            return
        variant = ("page", scope["path"], str(request.query_params), request.headers.get("accept", ""))
        key = versions.key(version, *variant)  # pages are built from the base URI, never from the Host header
        tag = versions.tag(key)
        if not_modified(request.headers.get("if-none-match"), key):
            await Response(status_code=304, headers={"ETag": tag, "Vary": "Accept"})(scope, receive, send)
            return
        if (cached := versions.cache.get(key)) is not None:
            hit = Response(cached.body, headers={**cached.headers, "ETag": tag, "Ecomap-Cache": "hit"})
            await hit(scope, receive, send)
            return
        status, kept, body = 0, {}, bytearray()

        async def keeping(message: Message) -> None:
            nonlocal status, kept
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                kept = {name: value for name, value in headers.items() if name in KEPT_HEADERS}
                if status == 200:
                    headers["ETag"], headers["Ecomap-Cache"] = tag, "miss"
            elif message["type"] == "http.response.body" and status == 200 and len(body) <= MAX_ENTRY_BYTES:
                body.extend(message.get("body", b""))
            await send(message)

        started = time.monotonic()
        await self.app(scope, receive, keeping)
        worth_keeping = (time.monotonic() - started) * 1000 >= services.settings.keep_after_ms
        if status == 200 and len(body) <= MAX_ENTRY_BYTES and worth_keeping:
            await versions.remember(version, key, bytes(body), kept)
