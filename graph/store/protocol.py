"""The store interface over the SPARQL 1.1 Protocol: the Oxigraph servers ``ecomap serve`` runs, or any remote SPARQL
1.1 store (with its departures from the standards in ``graph.store.dialect``). Queries go to the query endpoint, a
transaction as one Update request, the whole dataset comes from the Graph Store Protocol endpoint.

ecomap keeps the time limit itself. Oxigraph's server can (``--timeout-s``), but it starts a thread for every query
that sleeps out the whole limit: ordinary lookups at a few hundred a second held tens of thousands of threads, and the
server died at Linux's limit on a process's memory maps (bench/store_threads.py). So an answer still coming at the
limit is cut off and its connection closed, which ends the query at the store's next write; a store that sends
nothing for a grace after the limit (a sort or a count over millions of solutions, a join that finds nothing for
long) is stuck in work that only a restart of its server stops. A store ``ecomap serve`` supervises is restarted then
(``graph.serving.Supervision``), and the requests that restart cut off are sent again once the server is back, so that
the cost falls on the query that overran, not on everyone with a request in flight; a query sent again keeps its
deadline (one already past it is stopped, not sent again). A connection to the store lost
for any other reason is the store's crash: ecomap's own queries are sent again, a client's query text is not (it may
be what crashed the store: ``api/quarantine.py``).

No client may mistake a stopped answer for a complete one: ecomap holds back the start of every answer (``PREFETCH``
bytes) so that a query stopped early gets a clean ``503``; once an answer has started streaming, a stop cuts the
connection before the final chunk, so HTTP clients report an incomplete response. A remote store may keep a time
limit of its own: Oxigraph, stopped at its timeout after it has started answering, ends the body with a message
instead of the rest of the result, under the 200 status it already sent (or, for some queries, with no message at
all, as if the answer were whole: so an answer that ends after the time limit is taken as cut short too).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import re
import ssl
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextvars import ContextVar
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import quote_plus, urlencode

import aiohttp
import anyio
import certifi
import pyoxigraph as ox
from aiohttp.connector import Connection

from graph.rdf.formats import in_memory
from graph.rdf.query_text import iri
from graph.serving import Supervision
from graph.settings import Endpoint
from graph.store.interface import WHOLE, Answer, Dataset, Row, StoreError
from graph.store.threads import in_thread
from graph.store.transaction import Transaction

CANCELLED = b"The SPARQL operation has been cancelled"
PREFETCH = 64 * 1024
# How long a request cut off by a supervised store's restart waits for the server to be back before it is sent again.
RESTART_WAIT_S = 20
# A store's server closes a kept-alive connection that has waited too long for its next request, counted from the
# server's own last write: Oxigraph's after 60 s, or its ``--timeout-s`` (a whole number of seconds, which ``ecomap
# serve`` does not set), writing a 500 unasked ("Resource temporarily unavailable (os error 11)") before it closes.
# A query sent on such a connection as that happens (by a worker whose event loop was too busy to see the close) read
# that 500, or a lost connection, as its answer: a 502 or 503 for nothing, and a client's query taken for one that
# crashed the store. So a connection goes back to the pool only if its answer ended within POOLED_WITHIN_S of the
# request (the store's last write came after the request, so no longer ago than that), and the pool keeps it
# KEEPALIVE_S: the store has seen a connection idle for less than 0.9 s when it is used again. A busy worker reuses
# its connections within milliseconds; an idle one opens a new one (on loopback, a fraction of a millisecond; to a
# remote store, a TCP and perhaps a TLS handshake).
KEEPALIVE_S = 0.3
POOLED_WITHIN_S = 0.6


@functools.cache
def shared_tls() -> ssl.SSLContext:
    """One TLS context for every store client of the process: building one loads the CA bundle, about 30 ms of CPU,
    and a command or a test makes many clients."""
    return ssl.create_default_context(cafile=certifi.where())


# The errors of a request that never reached the store: nothing was sent.
NOT_SENT = (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError)


# A supervised store that has sent nothing of an answer this many seconds after the time limit is taken for stuck in a
# query it will not stop, and restarted. Enough on loopback on a loaded machine; a longer wait only kept the stuck
# store's core busy. A remote store, which nothing can restart, gets REMOTE_GRACE_S: it may be far away, and a query
# given up on counts against its sender as one that overran.
OVERRUN_GRACE_S = 3
REMOTE_GRACE_S = 10
STOPPED = "The query was stopped because it ran past the time limit."
# A line and column in a store's error message, as Oxigraph writes them ("error at 27:23: …").
POSITION = re.compile(r"(?<=\bat )(\d+):(\d+)")
_NOT_KEYWORDS = re.compile(r"<[^<>\s]*>|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|#[^\n]*")
_FORM = re.compile(r"(?<![\w:?$])(SELECT|CONSTRUCT|DESCRIBE|ASK)(?![\w:])", re.IGNORECASE)


def answers_with_triples(sparql: str) -> bool:
    """Whether a query is a CONSTRUCT or DESCRIBE, whose answer is a graph rather than a table: its first
    keyword after the prologue (IRIs, strings and comments aside). Asked for both kinds at once, some stores
    (Virtuoso) answer with the wrong one."""
    form = _FORM.search(_NOT_KEYWORDS.sub(" ", sparql))
    return form is not None and form.group(1).upper() in ("CONSTRUCT", "DESCRIBE")


class QueryStoppedError(StoreError):
    """The query was stopped at the time limit; ``overran`` if the store went on working on it, so that its server had
    to be restarted to stop it (or, a remote store, was given up on)."""

    def __init__(self, *, overran: bool = False) -> None:
        super().__init__(STOPPED, 503)
        self.overran = overran


class StoreLostError(StoreError):
    """The connection to the store was refused, or lost while the store worked on a query. ``crashed`` when the
    query had been sent and the store went away unasked: it may be what took the store down."""

    def __init__(self, message: str, *, crashed: bool) -> None:
        super().__init__(message, 503)
        self.crashed = crashed


class ProtocolStore:
    def __init__(
        self,
        endpoint: Endpoint,
        base: str,
        prologue: str,
        timeout_s: float,
        supervision: Supervision | None = None,
        *,
        epilogue: Callable[[], str] | None = None,
        on_stopped: Callable[[], None] | None = None,
        on_changed: Callable[[], None] | None = None,
    ) -> None:
        self.endpoint = endpoint
        self.base = base
        # The BASE and PREFIX declarations (graph.rdf.query_text.prologue), in front of every query sent.
        self._prologue = prologue
        self._encoded_prologue = quote_plus(prologue)  # encoded once: it is most of a short query's form
        # Makes an update sent after every update in the same request, and alone after one that a store which does
        # not apply updates atomically refused: the public store's new data version (graph.version), a new one for
        # each update.
        self._epilogue = epilogue
        # Called as a query is found stopped at its time limit (the app counts them for /metrics).
        self._on_stopped = on_stopped or (lambda: None)
        # Called after every update sent, applied or not (a refused or lost one may have been applied in part):
        # ``ecomap serve``'s workers learn from it that the data may have changed (graph.serving.Supervision).
        self._on_changed = on_changed or (lambda: None)
        self.query_url = endpoint.query_url
        self.timeout_s = timeout_s
        # Where ``ecomap serve`` supervises the store's server, it is asked to restart it to stop a query that has
        # sent nothing well past the time limit.
        self._supervision = supervision
        # The wait for a query's answer to begin; everything else (updates, which the store does not stop at the
        # limit, the Graph Store dump, a free connection from the pool) keeps REMOTE_GRACE_S, as a client that gave up
        # on an update could not tell whether it was applied.
        self._grace = OVERRUN_GRACE_S if supervision is not None else REMOTE_GRACE_S
        self._timeout = aiohttp.ClientTimeout(sock_connect=5, sock_read=timeout_s + REMOTE_GRACE_S)
        self._auth = endpoint.auth
        self._open: tuple[asyncio.AbstractEventLoop, aiohttp.ClientSession] | None = None

    def _client(self) -> aiohttp.ClientSession:
        """The HTTP client of the running event loop. aiohttp, not httpx: a request to the store took 1.17 ms of a
        worker's CPU through httpx and 0.36 ms through aiohttp, whose HTTP parser is compiled (bench/README.md). A
        session belongs to the loop it was made in, and a command or a test may use one store from several loops in
        turn (``anyio.run`` each time)."""
        loop = asyncio.get_running_loop()
        if self._open is None or self._open[0] is not loop:
            session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(ssl=shared_tls(), limit=100, keepalive_timeout=KEEPALIVE_S),
                request_class=_PooledIfPrompt,
                timeout=self._timeout,
                middlewares=(self._auth,) if self._auth else (),
                auto_decompress=False,
                skip_auto_headers=("Accept-Encoding", "User-Agent"),
            )
            self._open = (loop, session)
        return self._open[1]

    async def close(self) -> None:
        if self._open is not None and self._open[0] is asyncio.get_running_loop():
            await self._open[1].close()
        self._open = None

    async def answer(self, query: str, accept: str, dataset: Dataset = WHOLE, *, trusted: bool = True) -> Answer:
        """Send ``query``; return once its first ``PREFETCH`` bytes (or all of it) have arrived. If the supervised
        store's server was restarted meanwhile, or was not answering, or crashed while it worked on a query of
        ecomap's own (``trusted``), the query is sent again once the server is back."""
        deadline = time.monotonic() + self.timeout_s
        try:
            return await self._answer(query, accept, dataset, deadline)
        except StoreLostError as lost:
            if self._supervision is None or (lost.crashed and not trusted):
                raise
        await self._wait_until_ready()
        if time.monotonic() >= deadline:  # past its limit when the restart cut it off: sent again, it could overrun
            raise self._stopped(sent=time.time())  # not an overrun: no restart is asked for, whenever it was sent
        return await self._answer(query, accept, dataset, deadline)

    async def _answer(self, query: str, accept: str, dataset: Dataset, deadline: float) -> Answer:
        """One attempt at the query, within the time left until ``deadline`` (``time.monotonic()``), which a query
        sent again keeps."""
        dialect = self.endpoint.dialect
        form = [("default-graph-uri", g) for g in dataset.default_graphs]
        form += [("named-graph-uri", g) for g in dataset.named_graphs]
        content = "&".join(filter(None, (f"query={self._encoded_prologue}{quote_plus(query)}", urlencode(form))))
        headers = {"Accept": dialect.store_accept(accept), "Content-Type": "application/x-www-form-urlencoded"}
        silence = deadline - time.monotonic() + self._grace  # the longest the store may send nothing
        _WRITTEN_AT.set(time.time())  # until it is written: a request refused before it went out is judged from now
        try:
            response = await self._client().post(
                self.query_url,
                data=content.encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(sock_connect=5, sock_read=silence),
            )
        except aiohttp.SocketTimeoutError:
            raise self._stopped(sent=_WRITTEN_AT.get(), overran=True) from None
        except aiohttp.ClientError as error:
            raise self._lost(error, _WRITTEN_AT.get()) from None
        sent = _WRITTEN_AT.get()
        if response.status >= 400:
            try:
                message = (await response.read()).decode("utf-8", "replace").strip()
            except aiohttp.ClientError as error:
                raise self._lost(error, sent) from None
            finally:
                response.release()
            if dialect.timed_out(message):
                raise self._stopped(sent=sent)
            message = self._own_position(message) or "The store refused the query."
            raise StoreError(message, 400 if response.status == 400 else 502)
        if dialect.cut_short(response.headers):
            response.close()
            raise self._stopped(sent=sent)
        overrun_hooks: list[Callable[[], None]] = []  # shared with the answer, which the reading must not hold
        reading = _Reading(
            response,
            deadline,
            self._grace,
            partial(self._lost, started=sent),
            partial(self._stopped, sent=sent),
            overrun_hooks,
        )
        chunks = reading.chunks()
        if dialect.rewrites_answers:
            body = b"".join([chunk async for chunk in chunks])
            try:
                rewritten = await in_thread(partial(dialect.answer, body, accept))
            except (SyntaxError, ValueError) as error:
                raise StoreError(f"The store's answer could not be read: {error}", 502) from None
            return Answer(accept, rewritten, None)
        head = b""
        async for chunk in chunks:
            head += chunk
            if len(head) >= PREFETCH:  # the head is PREFETCH bytes exactly: a cap within it is refused (api/limits.py)
                rest = _then(head[PREFETCH:], chunks)
                return Answer(_media_type(response), head[:PREFETCH], rest, on_overrun=overrun_hooks)
        return Answer(_media_type(response), head, None)

    def _own_position(self, message: str) -> str:
        """The store's message with a position in the query text counted from the query's own first line, not from
        the prologue's."""
        lines = self._prologue.count("\n")
        return POSITION.sub(lambda m: f"{max(1, int(m[1]) - lines)}:{m[2]}", message)

    def _stopped(self, *, sent: float, overran: bool = False) -> QueryStoppedError:
        """The error for a query ``sent`` at a moment (``time.time()``) and stopped at the time limit. If the store went
        on working on it, the supervisor is asked to restart the store's server, unless it has done so since the query
        was sent. That restart cuts the query off, if not yet (the old server's exit can take seconds, freeing a big
        sort's memory on a loaded machine): another would stop the new server and every query on it, and the query is
        one of those the restart stopped, its store's silence shared with the query that had it restarted."""
        if overran and self._supervision is not None:
            if self._supervision.restarted_since(sent, slack=0):
                overran = False
            else:
                self._supervision.request_restart()
        self._on_stopped()
        return QueryStoppedError(overran=overran)

    def _lost(self, error: aiohttp.ClientError, started: float) -> StoreLostError:
        """The error for a connection refused (nothing was sent) or lost (the store went away while it worked): a
        crash, unless the supervisor restarted the store on request meanwhile."""
        sent = not isinstance(error, NOT_SENT)
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
            yield in_memory(ox.serialize(quads, format=ox.RdfFormat.N_QUADS))
            return
        try:
            headers = {"Accept": "application/n-quads"}
            async with self._client().get(self.endpoint.store_url, headers=headers) as response:
                if response.status >= 400:
                    raise StoreError(f"The store did not give its statements ({response.status}).")
                async for chunk in response.content.iter_any():
                    yield chunk
        except aiohttp.ClientError as error:
            raise StoreError(f"The store is not answering ({type(error).__name__}); try again shortly.", 503) from None

    async def update(self, update: str) -> None:
        """Apply one SPARQL Update request: all of it, or, if the store refuses it, none of it (where the store
        applies a request atomically; see ``graph.store.dialect``)."""
        try:
            await self._update(update)
        finally:
            self._on_changed()

    async def _update(self, update: str) -> None:
        if self._epilogue is not None:
            update = f"{update} ;\n{self._epilogue()}"
        try:
            status, refusal = await self._send_update(update)
        except aiohttp.ClientError as error:
            raise StoreError(f"The store is not answering ({type(error).__name__}); nothing was changed.") from None
        if status < 400:
            return
        if self.endpoint.dialect.atomic_updates:
            raise StoreError(f"The store refused the change ({status}): {refusal}. Nothing was changed.", 502)
        if self._epilogue is not None:
            # Part of the request may have been applied: a new version keeps answers kept before it from being
            # served after it.
            with contextlib.suppress(aiohttp.ClientError):
                await self._send_update(self._epilogue())
        raise StoreError(f"The store refused the change ({status}): {refusal}. Part of it may have been applied.", 502)

    async def commit(self, transaction: Transaction) -> None:
        dialect = self.endpoint.dialect
        if dialect.atomic_updates or dialect.most_operations is None or dialect.most_statements is None:
            await self.update(transaction.as_update())
            return
        for update in transaction.as_updates(dialect.most_operations, dialect.most_statements):
            await self.update(update)  # each piece bumps the data version: nothing kept before it is served after

    async def _send_update(self, update: str) -> tuple[int, str]:
        """The store's status, and the start of its message where it refused the update."""
        headers = {"Content-Type": "application/sparql-update"}
        async with self._client().post(self.endpoint.update_url, data=update.encode(), headers=headers) as response:
            if response.status < 400:
                return response.status, ""
            return response.status, (await response.read()).decode("utf-8", "replace").strip()[:500]

    async def ready(self) -> bool:
        """Whether the store answers a trivial query now."""
        try:
            timeout = aiohttp.ClientTimeout(total=5)
            async with self._client().post(self.query_url, data={"query": "ASK {}"}, timeout=timeout) as response:
                await response.read()
                return response.status == 200
        except (aiohttp.ClientError, TimeoutError):
            return False

    async def named_graph(self, graph: str) -> list[ox.Triple]:
        """Every statement in one named graph, such as a record or a kept version."""
        return await self.triples(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {iri(graph)} {{ ?s ?p ?o }} }}")

    async def triples(self, query: str) -> list[ox.Triple]:
        """Run a CONSTRUCT or DESCRIBE and parse its whole answer."""
        data = await (await self.answer(query, "application/n-triples")).read()
        return [q.triple for q in ox.parse(data, format=ox.RdfFormat.N_TRIPLES)]

    async def solutions(self, query: str) -> list[Row]:
        """Run a SELECT and parse its whole answer into rows."""
        data = await (await self.answer(query, "application/sparql-results+json")).read()
        results = ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
        if not isinstance(results, ox.QuerySolutions):
            raise StoreError("The query is not a SELECT.", 400)
        names = [v.value for v in results.variables]
        return [{name: row[name] for name in names if row[name] is not None} for row in results]

    async def ask(self, query: str) -> bool:
        data = await (await self.answer(query, "application/sparql-results+json")).read()
        return bool(ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON))

    async def graph_names(self) -> list[str]:
        rows = await self.solutions(
            f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self.endpoint.dialect.ours()} }}"
        )
        return sorted(row["g"].value for row in rows)

    async def count(self) -> int:
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self.endpoint.dialect.ours()} }}"
        [row] = await self.solutions(query)
        return int(row["n"].value)

    async def verify(self) -> int:
        """The server keeps its own indexes; what can be checked from outside is that every statement it counts reads
        back."""
        data = b"".join([chunk async for chunk in self.dump()])
        read, counted = sum(1 for _ in ox.parse(data, format=ox.RdfFormat.N_QUADS)), await self.count()
        if read != counted:
            raise StoreError(f"the store at {self.query_url} counts {counted} statements but {read} read back")
        return read


# When the request being sent went out (``time.time()``), noted as it is written (``_PooledIfPrompt``) in the task that
# sends it: later than the call to send it by however long it waited for a free connection, during which the store's
# server may have been restarted. A query that overran asks for a restart, and one whose connection was lost counts as
# the store's crash, only if no restart has been made since then.
_WRITTEN_AT: ContextVar[float] = ContextVar("written_at")


class _PooledIfPrompt(aiohttp.ClientRequest):
    """A request whose connection is closed, not pooled, if its answer ends more than ``POOLED_WITHIN_S`` after it was
    sent. Decided as aiohttp lets the connection go, whenever that is: as the answer's end arrives (with its head, or
    once its reader makes room for it) or as it is closed early. It notes when it went out (``_WRITTEN_AT``)."""

    async def send(self, conn: Connection) -> aiohttp.ClientResponse:
        _WRITTEN_AT.set(time.time())
        conn.add_callback(partial(_closed_if_late, conn, time.monotonic()))
        return await super().send(conn)


def _closed_if_late(connection: Connection, sent: float) -> None:
    protocol = connection.protocol  # a queue of messages, false when empty: so compared with None
    if time.monotonic() - sent > POOLED_WITHIN_S and protocol is not None:
        protocol.force_close()


def _media_type(response: aiohttp.ClientResponse) -> str:
    return response.headers.get("content-type", "application/octet-stream").split(";")[0].strip()


async def _then(first: bytes, rest: AsyncGenerator[bytes, None]) -> AsyncGenerator[bytes, None]:
    """``first``, then the rest of an answer."""
    try:
        if first:
            yield first
        async for chunk in rest:
            yield chunk
    finally:
        await rest.aclose()


# Watchers of answers let go before their end (below): held here so that they are not collected while they wait.
_WATCHERS: set[asyncio.Task[None]] = set()


def _buffered_at_most() -> int:
    """The most that a connection's buffers can hold between the store and the reader: the kernel's largest receive
    and send buffers (Linux autotunes them up to these), and aiohttp's own. What a store wrote into them before it fell
    silent says nothing of whether it still writes."""
    try:
        kernel = sum(
            int(Path(f"/proc/sys/net/ipv4/{name}").read_text().split()[2]) for name in ("tcp_rmem", "tcp_wmem")
        )
    except (OSError, ValueError, IndexError):
        kernel = 64 * 1024 * 1024
    return kernel + 1024 * 1024


BACKLOG = _buffered_at_most()


@dataclass
class _Reading:
    """One answer read from the store until ``deadline`` (``time.monotonic()``: sent plus the time limit). Past the
    deadline the answer is stopped and its connection closed, which ends the query at the store's next write; a store
    that does not write for ``grace`` more seconds overran, and only a restart stops it. An answer let go before its
    end (its reader went away, or was cut off at a cap) is watched on to the same deadline, for its store may still
    be at work on it with nothing to write; then ``on_overrun`` is called (its sender answers for it)."""

    response: aiohttp.ClientResponse
    deadline: float
    grace: float
    lost: Callable[[aiohttp.ClientError], StoreLostError]
    stopped: Callable[..., QueryStoppedError]
    on_overrun: list[Callable[[], None]]

    async def chunks(self) -> AsyncGenerator[bytes, None]:
        """The body's chunks, holding back enough bytes to see a store's cancellation message at the end. An answer
        that ends after the deadline is taken as cut short: stopped at its time limit, Oxigraph sometimes ends an
        answer as if it were whole (an ``OFFSET`` past billions of solutions came back, after 12 s under a 2 s limit,
        as a header and no rows)."""
        tail = b""
        keep = len(CANCELLED) + 16
        settled = False  # read to its end, or stopped here: nothing left to watch
        try:
            while (chunk := await self._next()) is not None:
                tail += chunk
                if len(tail) > keep:
                    yield tail[:-keep]
                    tail = tail[-keep:]
            settled = True
        except StoreError:
            settled = True
            raise
        except aiohttp.ClientError as error:
            settled = True
            raise self.lost(error) from None
        finally:
            if settled:
                self.response.release()  # back to the pool if the answer was read to its end (promptly), else closed
            else:
                self._watch()
        if tail.rstrip().endswith(CANCELLED) or time.monotonic() > self.deadline:
            raise self.stopped()
        if tail:
            yield tail

    async def _next(self) -> bytes | None:
        """The next chunk (whatever has come, up to the head's size), or None at the end, if it comes in time."""
        content = self.response.content
        remaining = self.deadline - time.monotonic()
        if remaining > 0:
            with contextlib.suppress(TimeoutError):  # aiohttp's own read timeout is one too, never before this one
                async with asyncio.timeout(remaining):
                    return await content.read(PREFETCH) or None
        # Past the limit. A store still writing ends the query at its next write, once the connection is closed; one
        # that does not write for the grace is stuck in work it will not stop.
        if not await self._still_writing(self.grace):
            raise self.stopped(overran=True)
        raise self.stopped()

    async def _still_writing(self, seconds: float) -> bool:
        """Whether the store ends the answer, or writes more of it than the connection's buffers could have held
        (``BACKLOG``), within ``seconds``: what it sends is read and dropped."""
        content, drained = self.response.content, 0
        try:
            async with asyncio.timeout(seconds):
                while drained <= BACKLOG:
                    chunk = await content.readany()
                    if not chunk:
                        return True
                    drained += len(chunk)
        except TimeoutError:
            return False
        return True

    def _watch(self) -> None:
        task = asyncio.get_running_loop().create_task(self._let_go())
        _WATCHERS.add(task)
        task.add_done_callback(_WATCHERS.discard)

    async def _let_go(self) -> None:
        """An answer let go before its end: closed once the store is seen writing (it stops at its next write), else
        watched until the limit and the grace, and stopped as any overrun if the store has not written all that time."""
        try:
            writing = await self._still_writing(max(0.0, self.deadline - time.monotonic()) + self.grace)
        except (aiohttp.ClientError, RuntimeError):
            writing = True  # the connection is gone, and the store's work on it with it
        finally:
            self.response.release()
        # No one to raise the error to: made for the restart it asks for, and the count.
        if not writing and self.stopped(overran=True).overran:
            for hook in self.on_overrun:
                hook()
