"""The app's client for its stores, reached over the SPARQL 1.1 Protocol: the Oxigraph servers ``ecomap serve``
runs, or any remote SPARQL 1.1 store.

Oxigraph can stop a query at its timeout after it has started answering, and then ends the body with a
message instead of the rest of the result, under the 200 status it already sent (or, for some queries, with no
message at all, as if the answer were whole: so an answer that ends after the time limit is taken as cut short
too). ecomap makes sure no client mistakes that for a complete result: it holds back the start of every answer
(``PREFETCH`` bytes) so that a query stopped early still gets a clean ``503``; once an answer has started streaming,
a stop cuts the connection before the final chunk, so HTTP clients report an incomplete response.

The timeout does not stop every query, though: an answer whose solutions come steadily and are read as fast
(a cartesian product, a ``*`` path over the whole graph) was seen to run past it, until ecomap's row or byte
cap (``api/limits.py``) ended it; and a sort over millions of solutions (``ORDER BY`` a cartesian product) sends
nothing until it ends, so only a restart of the store's server stops it. A store ``ecomap serve`` supervises is
restarted then (``graph.serving.Supervision``), and the requests that restart cut off are sent again once the server
is back, so that the cost falls on the query that overran, not on everyone with a request in flight. A connection to
the store lost for any other reason is the store's crash: ecomap's own queries are sent again, a client's query text
is not (it may be what crashed the store: ``api/quarantine.py``).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import partial
from urllib.parse import urlencode

import anyio
import httpx
import pyoxigraph as ox

from api.metrics import QUERY_TIMEOUTS
from graph.query_text import iri
from graph.remote import NO_DELAY
from graph.serving import Supervision
from graph.settings import Endpoint
from graph.version import bump_update

CANCELLED = b"The SPARQL operation has been cancelled"
PREFETCH = 64 * 1024
# How long a request cut off by a supervised store's restart waits for the server to be back before it is sent again.
RESTART_WAIT_S = 20


class UpstreamError(Exception):
    """The store answered with an error, or could not be reached."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class QueryStoppedError(UpstreamError):
    """The store stopped the query at its timeout (counted for ``/metrics`` as it is raised); ``overran`` if it ran on
    past it, so that the store's server had to be restarted to stop it."""

    def __init__(self, status: int, message: str, *, overran: bool = False) -> None:
        super().__init__(status, message)
        self.overran = overran
        QUERY_TIMEOUTS.inc()


class StoreLostError(UpstreamError):
    """The connection to the store was refused, or lost while the store worked on a query. ``crashed`` when the
    query had been sent and the store went away unasked: it may be what took the store down."""

    def __init__(self, message: str, *, crashed: bool) -> None:
        super().__init__(503, message)
        self.crashed = crashed


@dataclass
class Answer:
    """A query's answer: its media type, the bytes already read, and the rest still to stream."""

    media_type: str
    head: bytes
    rest: AsyncIterator[bytes] | None

    async def close(self) -> None:
        """Let go of the store's answer, so that it stops sending it."""
        if self.rest is not None:
            await self.rest.aclose()  # type: ignore[attr-defined]

    async def body(self) -> AsyncIterator[bytes]:
        """The whole body; raises if the store stops the query part-way, so the response is cut short."""
        if self.head:
            yield self.head
        if self.rest is not None:
            async for chunk in self.rest:
                yield chunk


class Upstream:
    def __init__(
        self,
        endpoint: Endpoint,
        timeout_s: float,
        supervision: Supervision | None = None,
        *,
        prologue: str = "",
        versioned_for: str | None = None,
    ) -> None:
        self.endpoint = endpoint
        # ecomap's BASE and PREFIX declarations (graph.query_text.prologue), in front of every query sent.
        self._prologue = prologue
        # The public store's updates replace its data version in the same request (graph.version); ``versioned_for``
        # is its base URI.
        self._versioned_for = versioned_for
        self.query_url = endpoint.query_url
        self.timeout_s = timeout_s
        # Oxigraph does not stop every kind of query at its timeout; where ``ecomap serve`` supervises the store's
        # server, it is asked to restart it when the store has not answered well past the time limit.
        self._supervision = supervision
        # The store stops the query at timeout_s; the client waits a little longer to hear that.
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout_s + 10, connect=5),
            auth=endpoint.auth,
            transport=httpx.AsyncHTTPTransport(socket_options=NO_DELAY),
        )

    async def close(self) -> None:
        await self._client.aclose()

    async def answer(
        self,
        query: str,
        accept: str,
        default_graphs: list[str] | None = None,
        named_graphs: list[str] | None = None,
        *,
        trusted: bool = True,
    ) -> Answer:
        """Send ``query``; return once its first ``PREFETCH`` bytes (or all of it) have arrived. If the supervised
        store's server was restarted meanwhile, or was not answering, or crashed while it worked on a query of
        ecomap's own (``trusted``), the query is sent again once the server is back."""
        graphs = (default_graphs or [], named_graphs or [])
        try:
            return await self._answer(query, accept, *graphs, time.time())
        except StoreLostError as lost:
            if self._supervision is None or (lost.crashed and not trusted):
                raise
        await self._wait_until_ready()
        return await self._answer(query, accept, *graphs, time.time())

    async def _answer(
        self, query: str, accept: str, default_graphs: list[str], named_graphs: list[str], started: float
    ) -> Answer:
        dialect = self.endpoint.dialect
        form = [("query", self._prologue + query)]
        form += [("default-graph-uri", g) for g in default_graphs]
        form += [("named-graph-uri", g) for g in named_graphs]
        request = self._client.build_request(
            "POST",
            self.query_url,
            content=urlencode(form).encode(),
            headers={"Accept": dialect.store_accept(accept), "Content-Type": "application/x-www-form-urlencoded"},
        )
        sent = time.monotonic()
        try:
            response = await self._client.send(request, stream=True)
        except httpx.ReadTimeout:
            if self._supervision is not None:
                self._supervision.request_restart()
            raise QueryStoppedError(
                503, "The query was stopped because it ran past the time limit.", overran=True
            ) from None
        except httpx.HTTPError as error:
            raise self._lost(error, started) from None
        if response.status_code >= 400:
            message = (await response.aread()).decode("utf-8", "replace").strip()
            await response.aclose()
            if dialect.timed_out(message):
                raise QueryStoppedError(503, "The query was stopped because it ran past the time limit.")
            raise UpstreamError(400 if response.status_code == 400 else 502, message or "The store refused the query.")
        if dialect.cut_short(response.headers):
            await response.aclose()
            raise QueryStoppedError(503, "The query was stopped because it ran past the time limit.")
        chunks = _checked(response, partial(self._lost, started=started), sent + self.timeout_s)
        if dialect.rewrites_answers:
            body = b"".join([chunk async for chunk in chunks])
            try:
                rewritten = await anyio.to_thread.run_sync(dialect.answer, body, accept)
            except (SyntaxError, ValueError) as error:
                raise UpstreamError(502, f"The store's answer could not be read: {error}") from None
            return Answer(accept, rewritten, None)
        head = b""
        async for chunk in chunks:
            head += chunk
            if len(head) >= PREFETCH:
                return Answer(_media_type(response), head, chunks)
        return Answer(_media_type(response), head, None)

    def _lost(self, error: httpx.HTTPError, started: float) -> StoreLostError:
        """The error for a connection refused (nothing was sent) or lost (the store went away while it worked): a
        crash, unless the supervisor restarted the store on request meanwhile."""
        sent = not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout)
        restarted = self._supervision is not None and self._supervision.restarted_since(started)
        return StoreLostError(
            f"The store is not answering ({type(error).__name__}); try again shortly.", crashed=sent and not restarted
        )

    async def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + RESTART_WAIT_S
        while not await self.ready():
            if time.monotonic() > deadline:
                raise StoreLostError("The store is not answering; try again shortly.", crashed=False)
            await anyio.sleep(0.2)

    async def dump(self) -> AsyncIterator[bytes]:
        """Every statement with its graph, as N-Quads, from the store's Graph Store Protocol endpoint (or a query,
        where the store cannot export its dataset that way)."""
        if not self.endpoint.dialect.exports_dataset:
            quads = self.endpoint.dialect.quads_of(await self.solutions(self.endpoint.dialect.every_quad))
            yield ox.serialize(quads, format=ox.RdfFormat.N_QUADS)
            return
        async with self._client.stream(
            "GET", self.endpoint.store_url, headers={"Accept": "application/n-quads"}
        ) as response:
            if response.status_code >= 400:
                raise UpstreamError(503, "The store did not give its statements for the download.")
            async for chunk in response.aiter_bytes():
                yield chunk

    async def update(self, update: str) -> None:
        """Apply one SPARQL Update request: all of it, or, if the store refuses it, none of it (where the store
        applies a request atomically; see ``graph.dialect``)."""
        if self._versioned_for is not None:
            update = f"{update} ;\n{bump_update(self._versioned_for)}"
        try:
            response = await self._send_update(update)
        except httpx.HTTPError as error:
            raise UpstreamError(
                503, f"The store is not answering ({type(error).__name__}); nothing was changed."
            ) from None
        if response.status_code < 400:
            return
        if self.endpoint.dialect.atomic_updates:
            raise UpstreamError(502, f"The store refused the change ({response.status_code}); nothing was changed.")
        if self._versioned_for is not None:
            # Part of the request may have been applied: a new version keeps answers kept before it from being
            # served after it.
            with contextlib.suppress(httpx.HTTPError):
                await self._send_update(bump_update(self._versioned_for))
        raise UpstreamError(
            502, f"The store refused the change ({response.status_code}); part of it may have been applied."
        )

    async def _send_update(self, update: str) -> httpx.Response:
        return await self._client.post(
            self.endpoint.update_url, content=update.encode(), headers={"Content-Type": "application/sparql-update"}
        )

    async def ready(self) -> bool:
        """Whether the store answers a trivial query now."""
        try:
            response = await self._client.post(self.query_url, data={"query": "ASK {}"}, timeout=5)
        except httpx.HTTPError:
            return False
        return response.status_code == 200

    async def named_graph(self, graph: str) -> list[ox.Triple]:
        """Every statement in one named graph, such as a record or a kept version."""
        return await self.graph(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {iri(graph)} {{ ?s ?p ?o }} }}")

    async def graph(self, query: str) -> list[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE and parse its whole answer."""
        answer = await self.answer(query, "application/n-triples")
        data = b"".join([chunk async for chunk in answer.body()])
        return [q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]

    async def solutions(self, query: str) -> list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]]:
        """Run a SELECT and parse its whole answer into rows."""
        answer = await self.answer(query, "application/sparql-results+json")
        data = b"".join([chunk async for chunk in answer.body()])
        results = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
        names = [v.value for v in results.variables]
        return [{name: row[name] for name in names if row[name] is not None} for row in results]


def _media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "application/octet-stream").split(";")[0].strip()


async def _checked(
    response: httpx.Response, lost: Callable[[httpx.HTTPError], StoreLostError], deadline: float
) -> AsyncIterator[bytes]:
    """The body's chunks, holding back enough bytes to see Oxigraph's cancellation message at the end. An answer
    that ends after ``deadline`` (``time.monotonic()``: sent plus the time limit) is taken as cut short too: stopped
    at its time limit, Oxigraph sometimes ends an answer as if it were whole (an ``OFFSET`` past billions of
    solutions came back, after 12 s under a 2 s limit, as a header and no rows, in every format)."""
    tail = b""
    keep = len(CANCELLED) + 16
    try:
        async for chunk in response.aiter_bytes():
            tail += chunk
            if len(tail) > keep:
                yield tail[:-keep]
                tail = tail[-keep:]
    except httpx.HTTPError as error:
        raise lost(error) from None
    finally:
        await response.aclose()
    if tail.rstrip().endswith(CANCELLED) or time.monotonic() > deadline:
        raise QueryStoppedError(503, "The query was stopped because it ran past the time limit.")
    if tail:
        yield tail
