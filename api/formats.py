"""The media types ecomap serves, with their short names for ``format=`` parameters and file suffixes."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

RESULTS = {  # SELECT and ASK
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPHS = {  # CONSTRUCT, DESCRIBE and documents
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}
DATASETS = {"nq": "application/n-quads", "trig": "application/trig"}
HTML = "text/html"
ALIASES = {"application/json": "application/sparql-results+json", "application/xml": "application/sparql-results+xml"}

RDF_FORMATS = {
    "text/turtle": ox.RdfFormat.TURTLE,
    "application/ld+json": ox.RdfFormat.JSON_LD,
    "application/n-triples": ox.RdfFormat.N_TRIPLES,
    "application/rdf+xml": ox.RdfFormat.RDF_XML,
    "application/n-quads": ox.RdfFormat.N_QUADS,
    "application/trig": ox.RdfFormat.TRIG,
}


# Other names clients use for the same formats in a format= parameter (SPARQLWrapper sends media types).
SYNONYMS = {
    "turtle": "text/turtle",
    "n3": "text/turtle",
    "text/n3": "text/turtle",
    "json-ld": "application/ld+json",
    "ntriples": "application/n-triples",
    "n-triples": "application/n-triples",
    "rdfxml": "application/rdf+xml",
    "rdf+xml": "application/rdf+xml",
    "xml-rdf": "application/rdf+xml",
    **ALIASES,
}


# What graph answers are also asked for by: SPARQLWrapper sends a CONSTRUCT ``format=xml`` with Accept
# application/rdf+xml by default, and ``format=json`` with its JSON return format; Fuseki and Virtuoso read them as
# RDF/XML and JSON-LD, as ecomap does. rdflib asks for N-Triples as text/plain, its media type before RDF 1.1.
GRAPH_SYNONYMS = {
    "xml": "application/rdf+xml",
    "json": "application/ld+json",
    "application/xml": "application/rdf+xml",
    "application/json": "application/ld+json",
    "text/plain": "application/n-triples",
}


# Short names of the other answers ecomap gives (pages and plain JSON), for format= on the routes that offer them.
OTHERS = {"html": HTML, "json": "application/json"}


def candidates(name: str) -> list[str]:
    """The media types a ``format=`` value may name, most likely first: itself if it is a media type (then the one it
    is an alias of), else those whose short name or synonym it is (``json`` is SPARQL's JSON results for a query,
    plain JSON for a list)."""
    key = name.strip().lower()
    if "/" in key:
        return [key, *([SYNONYMS[key]] if key in SYNONYMS else [])]
    found = [table[key] for table in (RESULTS, GRAPHS, DATASETS, OTHERS) if key in table]
    return found + ([SYNONYMS[key]] if key in SYNONYMS else [])


def graph_candidates(name: str) -> list[str]:
    """:func:`candidates` for a graph answer, where ``xml``, ``json`` and ``text/plain`` name RDF formats."""
    key = name.strip().lower()
    return [GRAPH_SYNONYMS[key], *candidates(key)] if key in GRAPH_SYNONYMS else candidates(key)


def graph_accept(accept: str | None, offered: Iterable[str]) -> str | None:
    """An Accept header with each media type that names an RDF format for a graph answer (``GRAPH_SYNONYMS``)
    replaced by that format, where it is offered and the media type itself is not."""
    if not accept:
        return accept
    offers = set(offered)
    return ",".join(_graph_range(part, offers) for part in accept.split(","))


def _graph_range(part: str, offers: set[str]) -> str:
    media_type, _, parameters = part.partition(";")
    key = media_type.strip().lower()
    named = GRAPH_SYNONYMS.get(key)
    if named is None or "/" not in key or key in offers or named not in offers:
        return part
    return named + (";" + parameters if parameters else "")


def names(media_types: Iterable[str]) -> list[str]:
    """The short name of each media type, or the media type where it has none."""
    short = {media_type: name for table in (OTHERS, DATASETS, GRAPHS, RESULTS) for name, media_type in table.items()}
    return [short.get(media_type, media_type) for media_type in media_types]


def suffixes(media_types: Iterable[str]) -> dict[str, str]:
    """The file suffix that names each media type in a path (``.ttl``), from its short name."""
    return {f".{name}": media_type for name, media_type in zip(names(media_types), media_types, strict=True)}
