"""A named graph of the public store as a document: its statements, and what the metadata says of it.

Every document names the graph its statements come from (a record's graph, ``/data/metadata``, ``/data/version``,
``/data/places``…), so those IRIs must answer too. A graph can be large (the metadata describes every record), so a
document holds at most ``STATEMENT_CAP`` of its statements and says how many there are; the downloads and the SPARQL
endpoint give the rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import pyoxigraph as ox

from api.dependencies import AppServices
from api.services.document import LABELS
from graph.rdf.query_text import iri
from graph.rdf.terms import value_of

STATEMENT_CAP = 5000


@dataclass(frozen=True)
class NamedGraph:
    iri: str
    statements: list[ox.Triple]  # at most STATEMENT_CAP, sorted, so that the same data gives the same bytes
    total: int
    metadata: str  # the graph the description is in
    description: list[ox.Triple]  # the metadata graph's statements about the graph
    labels: list[ox.Triple]  # the names of what the statements refer to, for a page to show

    @property
    def capped(self) -> bool:
        return self.total > len(self.statements)

    def quads(self) -> list[ox.Quad]:
        """The statements in their graph, then the description in the metadata graph (as TriG and N-Quads give it)."""
        graph, metadata = ox.NamedNode(self.iri), ox.NamedNode(self.metadata)
        return [ox.Quad(t.subject, t.predicate, t.object, graph) for t in self.statements] + [
            ox.Quad(t.subject, t.predicate, t.object, metadata) for t in self.description if graph != metadata
        ]


async def named_graph(services: AppServices, graph: str) -> NamedGraph | None:
    """The graph ``graph`` of the public store, or None if it holds nothing. Its statements are counted only when there
    are more than a document holds: one read more than the cap says whether there are."""
    term = iri(graph)
    statements = await services.public.triples(
        f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ SELECT ?s ?p ?o WHERE {{ GRAPH {term} {{ ?s ?p ?o }} }} "
        f"LIMIT {STATEMENT_CAP + 1} }} }}"
    )
    if not statements:
        return None
    total = len(statements)
    if total > STATEMENT_CAP:
        [counted] = await services.public.solutions(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {term} {{ ?s ?p ?o }} }}")
        total = int(value_of(counted["n"]))
    metadata = services.identity.metadata_graph
    described = f"GRAPH {iri(metadata)} {{ {term} ?p ?o }}"
    description = await services.public.triples(f"CONSTRUCT {{ {term} ?p ?o }} WHERE {{ {described} }}")
    referred = f"{{ GRAPH {term} {{ ?s ?p ?o }} }} UNION {{ {described} }}"
    some = f"SELECT DISTINCT ?o WHERE {{ {referred} }} LIMIT {STATEMENT_CAP}"
    labels = await services.public.triples(
        f"CONSTRUCT {{ ?o ?name ?label }} WHERE {{ {{ {some} }} ?o ?name ?label FILTER(?name IN ({LABELS})) }}"
    )
    shown = sorted(statements, key=str)[:STATEMENT_CAP]
    return NamedGraph(graph, shown, total, metadata, sorted(description, key=str), labels)
