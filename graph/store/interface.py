"""The store interface that the rest of ecomap is written against: the web app, the command line, ``init``, ``load``,
``check``, the benches and the tests.

Two backends offer it: in process (``graph.store.embedded``, pyoxigraph) and over the SPARQL 1.1 Protocol
(``graph.store.protocol``: the Oxigraph servers ``ecomap serve`` supervises, or any remote store). Queries see the store
as a whole (the default graph is the union of the named graphs) and may use ecomap's prefixes and relative IRIs: the
backend adds the prologue. A change is one SPARQL Update request, applied all or nothing.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Protocol

import pyoxigraph as ox

from graph.rdf.terms import Term
from graph.store.transaction import Transaction

Row = dict[str, Term]


class StoreError(Exception):
    """The store cannot be opened, reached or used as asked; ``status`` is how an HTTP answer would put it (503: try
    again shortly; 502: the store refused or answered what cannot be read; 400: the store refused the query)."""

    def __init__(self, message: str, status: int = 503) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class Dataset:
    """The SPARQL 1.1 Protocol's dataset of a query: its default graphs and named graphs; none of either is the
    whole store, its default graph the union of its graphs."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()


WHOLE = Dataset()


@dataclass
class Answer:
    """A query's answer in the media type asked for: the bytes already read, and the rest still to stream."""

    media_type: str
    head: bytes
    rest: AsyncGenerator[bytes, None] | None = None
    # Called if the answer is let go before its end and its store is then found still at work on the query past the
    # time limit, so that it has to be restarted: the query's sender answers for that, as for any overrun.
    on_overrun: list[Callable[[], None]] = field(default_factory=list)

    async def close(self) -> None:
        """Let go of the store's answer, so that it stops sending it."""
        if self.rest is not None:
            await self.rest.aclose()

    async def body(self) -> AsyncIterator[bytes]:
        """The whole body; raises if the store stops the query part-way, so the response is cut short."""
        if self.head:
            yield self.head
        if self.rest is not None:
            async for chunk in self.rest:
                yield chunk

    async def read(self) -> bytes:
        return b"".join([chunk async for chunk in self.body()])


class Store(Protocol):
    """What ecomap needs from a store."""

    base: str

    async def answer(self, query: str, accept: str, dataset: Dataset = WHOLE, *, trusted: bool = True) -> Answer:
        """Run a query over ``dataset`` and answer in ``accept`` (a SPARQL results or RDF media type); the answer may
        stream. ``trusted`` says the text is ecomap's own, not a client's."""
        ...

    async def solutions(self, query: str) -> list[Row]:
        """A SELECT's rows, each with the variables bound in it."""
        ...

    async def triples(self, query: str) -> list[ox.Triple]:
        """A CONSTRUCT's or DESCRIBE's statements."""
        ...

    async def ask(self, query: str) -> bool: ...

    async def named_graph(self, graph: str) -> list[ox.Triple]:
        """Every statement of one named graph, such as a record or a kept version."""
        ...

    async def update(self, update: str) -> None:
        """Apply one SPARQL Update request, all of it or (where the store allows: ``graph.store.dialect``) none."""
        ...

    async def commit(self, transaction: Transaction) -> None:
        """Apply every change in ``transaction`` at once."""
        ...

    def dump(self) -> AsyncIterator[bytes]:
        """Every statement with its graph, as N-Quads."""
        ...

    async def graph_names(self) -> list[str]: ...

    async def count(self) -> int:
        """How many statements the store holds, in all its graphs."""
        ...

    async def verify(self) -> int:
        """Read every statement back as the store keeps it and return how many there are; ``StoreError`` if the
        store is damaged (``ecomap check``)."""
        ...

    async def ready(self) -> bool:
        """Whether the store answers now."""
        ...

    async def close(self) -> None: ...
