"""ecomap's JSON-LD: one published compact ``@context``, used for every JSON-LD document it serves.

The context is built in (and served at ``/context.jsonld``), so no client and no part of ecomap needs to
fetch a remote context to read ecomap's JSON-LD.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

import pyoxigraph as ox

from graph.rdf.namespaces import STANDARD, curie, prefixes
from graph.rdf.terms import as_subject, as_term

RDF_TYPE = STANDARD["rdf"] + "type"
PREF_LABEL = STANDARD["skos"] + "prefLabel"
XSD_STRING = STANDARD["xsd"] + "string"


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
    return json.dumps(compacted(triples, base), ensure_ascii=False, indent=1).encode()


def compacted(triples: list[ox.Triple], base: str) -> dict[str, Any]:
    """``triples`` as a compact JSON-LD document: one node object per subject, in the order first met.

    Written directly rather than through rdflib's JSON-LD serialiser, which cost a quarter of an HTML page's
    time (bench/README.md); tests read the output back with rdflib and compare graphs.
    """
    names = prefixes(base)

    def short(iri: str) -> str:
        return curie(iri, names)

    def node_id(term: ox.NamedNode | ox.BlankNode) -> str:
        return short(term.value) if isinstance(term, ox.NamedNode) else f"_:{term.value}"

    def value(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Any:
        if not isinstance(term, ox.Literal):
            return {"@id": node_id(term)}
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype.value == XSD_STRING:
            return term.value
        return {"@value": term.value, "@type": short(term.datatype.value)}

    nodes: dict[str, dict[str, list[Any]]] = {}
    labels: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for t in triples:
        subject = node_id(as_subject(t.subject))
        properties = nodes.setdefault(subject, defaultdict(list))
        if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            properties["type"].append(short(t.object.value))
        elif t.predicate.value == PREF_LABEL and isinstance(t.object, ox.Literal) and t.object.language:
            labels[subject][t.object.language].append(t.object.value)
        else:
            properties[short(t.predicate.value)].append(value(as_term(t.object)))
    graph = []
    for subject, properties in nodes.items():
        node: dict[str, Any] = {"id": subject}
        if subject in labels:
            node["name"] = {language: _one_or_many(texts) for language, texts in labels[subject].items()}
        node.update({key: _one_or_many(values) for key, values in properties.items()})
        graph.append(node)
    return {**context(base), "@graph": graph}


def _one_or_many(values: list[Any]) -> Any:
    return values[0] if len(values) == 1 else values
