"""Where remote SPARQL stores depart from the standards, in one place.

ecomap speaks SPARQL 1.1 Protocol, Update and the Graph Store Protocol to every store. A store that departs
from them in a way that matters to ecomap is described here, chosen with ``ECOMAP_STORE_DIALECT``; nothing else
in ecomap knows which store it talks to.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp
import pyoxigraph as ox
from aiohttp import hdrs

from graph.rdf.formats import in_memory
from graph.rdf.query_text import iri

RESULTS_XML = "application/sparql-results+xml"
TRIPLES = "application/n-triples"


class DialectError(ValueError):
    """``ECOMAP_STORE_DIALECT`` names no dialect ecomap knows."""


@dataclass(frozen=True)
class Dialect:
    name: str
    # A GET on the Graph Store endpoint with no graph named gives every statement of every graph as N-Quads
    # (Oxigraph, Fuseki). Where not, the statements are read with a SELECT over every named graph.
    exports_dataset: bool = True
    # Graphs the store keeps for itself, which are not ecomap's data and which its export, counts and graph
    # lists leave out.
    own_graphs: tuple[str, ...] = ()
    # A response header by which the store says it cut a result short at its time limit, sending what it had
    # with a 200 status (Virtuoso's "anytime" answers), and the value that means so.
    cut_short_header: tuple[str, str] | None = None
    # The store's own result formats cannot be passed on as they are (Virtuoso's CSV and TSV drop datatypes and
    # quote the header, its JSON and XML give ASK's answer as a one-row table): ecomap asks it for SPARQL XML or
    # N-Triples and writes the format the client asked for itself. The name of the variable in which the store
    # puts an ASK's answer, if it does.
    rewrites_answers: bool = False
    ask_variable: str | None = None
    # What the store puts before a blank node's label in SPARQL XML results (Virtuoso: ``nodeID://b10007``).
    blank_node_prefix: str | None = None
    # Whether a failed operation in an update request undoes the operations before it (Virtuoso's does not).
    atomic_updates: bool = True
    # The most graph drops and deletes, and statements inserted, the store compiles in one update request; a larger
    # transaction is sent in pieces (only where updates are not atomic anyway). Virtuoso refuses a request whose
    # "generated SQL text has exceeded 10000 lines" (545 graph drops, when the seed grew to 526 records).
    most_operations: int | None = None
    most_statements: int | None = None
    # Words in an error answer by which the store says a query ran out of time (Virtuoso answers 500).
    timeout_error: str | None = None
    # Whether the store's query endpoint reads nothing but SPARQL queries: no update and no pragma of its own
    # (Virtuoso's runs both, sent there). Only then may a client's query whose tokens decide it skip ecomap's
    # parse (api/inspection.py).
    reads_only_queries: bool = True

    def timed_out(self, message: str) -> bool:
        """Whether the store's error answer means the query ran past its time limit."""
        return self.timeout_error is not None and self.timeout_error in message

    def store_accept(self, media_type: str) -> str:
        """What to ask the store for when the client wants ``media_type``."""
        if not self.rewrites_answers:
            return media_type
        return TRIPLES if ox.RdfFormat.from_media_type(media_type) else RESULTS_XML

    def answer(self, body: bytes, media_type: str) -> bytes:
        """The store's whole answer to a ``store_accept(media_type)`` request, written as ``media_type``."""
        if not self.rewrites_answers:
            return body
        graph_format = ox.RdfFormat.from_media_type(media_type)
        if graph_format is not None:
            triples = [q.triple for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)]
            return in_memory(ox.serialize(triples, format=graph_format))
        if self.blank_node_prefix:
            body = body.replace(f"<bnode>{self.blank_node_prefix}".encode(), b"<bnode>")
        results = ox.parse_query_results(body, format=ox.QueryResultsFormat.XML)
        if isinstance(results, ox.QuerySolutions) and [v.value for v in results.variables] == [self.ask_variable]:
            rows = list(results)
            truth = bool(rows) and rows[0][0] is not None and rows[0][0].value not in ("0", "false")
            results = ox.parse_query_results(
                f'<sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/><boolean>{str(truth).lower()}'
                "</boolean></sparql>".encode(),
                format=ox.QueryResultsFormat.XML,
            )
        written = ox.QueryResultsFormat.from_media_type(media_type) or ox.QueryResultsFormat.JSON
        return in_memory(results.serialize(format=written))

    def ours(self, graph: str = "?g") -> str:
        """A filter that leaves out the graphs the store keeps for itself."""
        if not self.own_graphs:
            return ""
        return f"FILTER({graph} NOT IN (" + ", ".join(f"{iri(g)}" for g in self.own_graphs) + "))"

    @property
    def every_quad(self) -> str:
        """A query for every statement of ecomap's graphs, for stores that cannot export their dataset; its rows
        become quads with ``quads_of``."""
        return f"SELECT ?s ?p ?o ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self.ours()} }}"

    @staticmethod
    def quads_of(rows: Iterable[Mapping[str, Any]]) -> list[ox.Quad]:
        return [ox.Quad(row["s"], row["p"], row["o"], row["g"]) for row in rows]

    def cut_short(self, headers: Mapping[str, str]) -> bool:
        """Whether the store says it stopped the query at its time limit and sent only part of the answer."""
        if self.cut_short_header is None:
            return False
        name, value = self.cut_short_header
        return headers.get(name, "").strip().upper() == value


STANDARD = Dialect("standard")
# Virtuoso 7 (open source): its default graph is always the union of all its graphs, its own among them; the Graph
# Store endpoint serves one graph at a time; a query past MaxQueryExecutionTime returns the rows found so far.
VIRTUOSO = Dialect(
    "virtuoso",
    exports_dataset=False,
    own_graphs=(
        "http://www.openlinksw.com/schemas/virtrdf#",
        "http://www.w3.org/ns/ldp#",
        "http://localuriqaserver/sparql",
    ),
    cut_short_header=("x-sql-state", "S1TAT"),
    rewrites_answers=True,
    ask_variable="__ASK_RETVAL",
    blank_node_prefix="nodeID://",
    timeout_error="Transaction timed out",
    atomic_updates=False,
    most_operations=100,
    most_statements=2000,
    reads_only_queries=False,
)
DIALECTS = {d.name: d for d in (STANDARD, VIRTUOSO)}


def dialect_from_env() -> Dialect:
    name = os.environ.get("ECOMAP_STORE_DIALECT", "standard").strip().lower() or "standard"
    if name not in DIALECTS:
        raise DialectError(f"ECOMAP_STORE_DIALECT must be one of {', '.join(sorted(DIALECTS))}, not {name!r}")
    return DIALECTS[name]


class StoreAuth:
    """The store's credentials, given the way the store asks for them: Digest (Virtuoso) where it offers it first
    (aiohttp's Digest reads a store's first challenge only), else Basic (Fuseki, GraphDB), never to a store that asks
    for neither. Nothing is sent until the store asks, and then its scheme is remembered. An aiohttp client
    middleware."""

    def __init__(self, user: str, password: str) -> None:
        self._basic = aiohttp.encode_basic_auth(user, password)
        self._digest = aiohttp.DigestAuthMiddleware(user, password)
        self._scheme: str | None = None

    async def __call__(
        self, request: aiohttp.ClientRequest, handler: aiohttp.ClientHandlerType
    ) -> aiohttp.ClientResponse:
        if self._scheme == "digest":
            return await self._digest(request, handler)
        if self._scheme == "basic":
            request.headers[hdrs.AUTHORIZATION] = self._basic
            return await handler(request)
        response = await handler(request)
        schemes = [c.strip().split(" ")[0].lower() for c in response.headers.getall(hdrs.WWW_AUTHENTICATE, [])]
        if response.status != 401 or not {"digest", "basic"} & set(schemes):
            return response
        response.release()
        self._scheme = "digest" if schemes[0] == "digest" or "basic" not in schemes else "basic"
        return await self(request, handler)
