"""The store interface over the SPARQL 1.1 Protocol: queries to a query endpoint, transactions as one
SPARQL Update request, exports through the Graph Store Protocol. The command line uses it to reach a store
that ``ecomap serve`` is serving; any SPARQL 1.1 store could be reached the same way."""

from __future__ import annotations

import re
import socket
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import httpx
import pyoxigraph as ox

from graph.identity import Identity
from graph.metadata import describe_loaded
from graph.namespaces import prefixes
from graph.parsing import ProgressCallback
from graph.settings import Endpoint
from graph.store import QueryResult, StoreError, Term, Transaction
from graph.version import bump_update, without_version

RESULTS = "application/sparql-results+json"
# Requests to the store go out with Nagle's algorithm off: httpx writes a request's headers and body separately,
# and with Nagle on the body waits for the store's delayed ACK of the headers, 40 ms a request on Linux.
NO_DELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]
TRIPLES = "application/n-triples"
_NOT_KEYWORDS = re.compile(r"<[^<>\s]*>|\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'|#[^\n]*")
_FORM = re.compile(r"(?<![\w:?$])(SELECT|CONSTRUCT|DESCRIBE|ASK)(?![\w:])", re.IGNORECASE)


def answers_with_triples(sparql: str) -> bool:
    """Whether a query is a CONSTRUCT or DESCRIBE, whose answer is a graph rather than a table: its first
    keyword after the prologue (IRIs, strings and comments aside). Asked for both kinds at once, some stores
    (Virtuoso) answer with the wrong one."""
    text = _NOT_KEYWORDS.sub(" ", sparql)
    form = _FORM.search(text)
    return bool(form) and form.group(1).upper() in ("CONSTRUCT", "DESCRIBE")  # type: ignore[union-attr]


class RemoteStore:
    def __init__(self, base: str, endpoint: Endpoint, timeout_s: float = 60) -> None:
        self.base = base
        self.query_url = endpoint.query_url
        self.update_url = endpoint.update_url
        self.store_url = endpoint.store_url
        self.dialect = endpoint.dialect
        self._client = httpx.Client(
            timeout=timeout_s, auth=endpoint.auth, transport=httpx.HTTPTransport(socket_options=NO_DELAY)
        )
        declarations = "".join(f"PREFIX {name}: <{iri}>\n" for name, iri in prefixes(base).items())
        self._prologue = f"BASE <{base}/>\n{declarations}"

    def query(self, sparql: str, *, bindings: Mapping[str, Term] | None = None) -> QueryResult:
        if bindings:
            raise StoreError("bound variables are not sent over the protocol yet: write the values into the query")
        accept = TRIPLES if answers_with_triples(sparql) else RESULTS
        response = self._post(self.query_url, "query", self._prologue + sparql, self.dialect.store_accept(accept))
        try:
            content = self.dialect.answer(response.content, accept)
        except (SyntaxError, ValueError) as error:
            raise StoreError(f"the store's answer could not be read: {error}") from None
        if accept == TRIPLES:
            return [q.triple for q in ox.parse(content, format=ox.RdfFormat.N_TRIPLES)]  # type: ignore[return-value]
        return ox.parse_query_results(content, format=ox.QueryResultsFormat.JSON)

    def commit(self, transaction: Transaction) -> None:
        self._post(self.update_url, "update", transaction.as_update(), "*/*")

    def load(
        self,
        paths: Sequence[Path],
        *,
        graph: str | None = None,
        format_name: str | None = None,
        bulk: bool = False,
        progress: ProgressCallback | None = None,
    ) -> int:
        if bulk:
            raise StoreError("bulk loading needs the store on disk: stop `ecomap serve` first")
        transaction = Transaction()
        count = transaction.add_files(paths, self.base, graph=graph, format_name=format_name, progress=progress)
        transaction.inserts = without_version(transaction.inserts, self.base)
        transaction.operations += describe_loaded(Identity(self.base), transaction.inserts, datetime.now(UTC))
        transaction.operations.append(bump_update(self.base))  # loading changes the public data
        self.commit(transaction)
        return count

    def quads(self) -> list[ox.Quad]:
        """Every statement of every named graph, through the Graph Store Protocol where the store can export its
        whole dataset, otherwise with a query."""
        if not self.dialect.exports_dataset:
            return self.dialect.quads_of(self.query(self.dialect.every_quad))  # type: ignore[arg-type]
        try:
            response = self._client.get(self.store_url, headers={"Accept": "application/n-quads"})
        except httpx.HTTPError as error:
            raise StoreError(f"the store at {self.store_url} is not answering ({type(error).__name__})") from None
        if response.status_code >= 400:
            raise StoreError(f"the store did not export its statements ({response.status_code})")
        return list(ox.parse(response.content, format=ox.RdfFormat.N_QUADS))

    def verify(self) -> int:
        """The server keeps its own indexes; what can be checked from outside is that every statement it counts
        reads back."""
        read, counted = len(self.quads()), len(self)
        if read != counted:
            raise StoreError(f"the store at {self.store_url} counts {counted} statements but {read} read back")
        return read

    def export(self, output: IO[bytes], rdf_format: ox.RdfFormat) -> None:
        quads = self.quads()
        if rdf_format in (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG):
            ox.serialize(quads, output, rdf_format, prefixes=prefixes(self.base))
        else:
            triples = {ox.Triple(q.subject, q.predicate, q.object) for q in quads}
            ox.serialize(sorted(triples, key=str), output, rdf_format, prefixes=prefixes(self.base))

    def graph_names(self) -> list[str]:
        rows = self.query(f"SELECT DISTINCT ?g WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self.dialect.ours()} }}")
        return sorted(row["g"].value for row in rows)  # type: ignore[union-attr,index]

    def __len__(self) -> int:
        query = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} {self.dialect.ours()} }}"
        [row] = list(self.query(query))  # type: ignore[arg-type]
        return int(row["n"].value)

    def _post(self, url: str, field: str, text: str, accept: str) -> httpx.Response:
        try:
            response = self._client.post(url, data={field: text}, headers={"Accept": accept})
        except httpx.HTTPError as error:
            raise StoreError(f"the store at {url} is not answering ({type(error).__name__})") from None
        if response.status_code == 400:
            raise SyntaxError(response.text.strip())
        if response.status_code >= 400:
            raise StoreError(
                f"the store at {url} refused the request ({response.status_code}): {response.text.strip()}"
            )
        return response
