"""ecomap's JSON-LD: one published compact ``@context``, used for every JSON-LD document it serves.

The context is built in (and served at ``/context.jsonld``), so no client and no part of ecomap needs to
fetch a remote context to read ecomap's JSON-LD.
"""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox
import rdflib

from graph.namespaces import prefixes


def context(base: str) -> dict[str, Any]:
    """The compact context: ecomap's prefixes, and plain names for the commonest properties."""
    terms: dict[str, Any] = dict(sorted(prefixes(base).items()))
    terms.update(
        {
            "name": {"@id": "skos:prefLabel", "@container": "@language"},
            "type": "@type",
            "id": "@id",
        }
    )
    return {"@context": terms}


def compact(triples: list[ox.Triple], base: str) -> bytes:
    """``triples`` as compact JSON-LD with ecomap's context inline."""
    graph = rdflib.Graph()
    for t in triples:
        graph.add((_term(t.subject), _term(t.predicate), _term(t.object)))
    ctx = context(base)["@context"]
    text = graph.serialize(format="json-ld", context=ctx, auto_compact=True)
    return json.dumps(json.loads(text), ensure_ascii=False, indent=1).encode()


def _term(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> rdflib.term.Node:
    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return rdflib.BNode(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))
