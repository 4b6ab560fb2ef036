"""From pyoxigraph's terms to rdflib's, for the places where rdflib does the work (pySHACL, JSON-LD)."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
import rdflib

from graph.rdf.terms import Term, as_term


def rdflib_term(term: Term) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def to_rdflib(statements: Iterable[ox.Quad | ox.Triple]) -> rdflib.Graph:
    """The union of ``statements`` as one rdflib graph (pySHACL checks named graphs one by one)."""
    graph = rdflib.Graph()
    for s in statements:
        graph.add((rdflib_term(as_term(s.subject)), rdflib_term(s.predicate), rdflib_term(as_term(s.object))))
    return graph
