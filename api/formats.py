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
}


# Media types that stand for a more exact one, whichever the route offers: application/json for SPARQL JSON results
# (a SELECT) or JSON-LD (a graph), application/xml for SPARQL XML results or RDF/XML, and text/plain for N-Triples
# (rdflib's name for them, from before RDF 1.1). SPARQLWrapper asks for a CONSTRUCT with format=xml and Accept
# application/rdf+xml by default, and with format=json for its JSON return format; Fuseki and Virtuoso read them so.
STANDS_FOR = {
    "application/json": ("application/sparql-results+json", "application/ld+json"),
    "application/xml": ("application/sparql-results+xml", "application/rdf+xml"),
    "text/plain": ("application/n-triples",),
}
# The short names that name one format for a SELECT (``RESULTS``) and another for a graph.
GRAPH_NAMES = {"xml": "application/rdf+xml", "json": "application/ld+json"}


# Short names of the other answers ecomap gives (pages and plain JSON), for format= on the routes that offer them.
OTHERS = {"html": HTML, "json": "application/json"}


def candidates(name: str) -> list[str]:
    """The media types a ``format=`` value may name, most likely first: itself if it is a media type (then those it
    stands for), else those whose short name or synonym it is (``json`` is SPARQL's JSON results for a query, plain
    JSON for a list, JSON-LD for a graph). A route takes the first it offers."""
    key = name.strip().lower()
    if "/" in key:
        return [key, *STANDS_FOR.get(key, ()), *([SYNONYMS[key]] if key in SYNONYMS else [])]
    found = [table[key] for table in (RESULTS, GRAPHS, DATASETS, OTHERS) if key in table]
    return found + ([SYNONYMS[key]] if key in SYNONYMS else []) + ([GRAPH_NAMES[key]] if key in GRAPH_NAMES else [])


def read_accept(accept: str | None, offered: Iterable[str]) -> str | None:
    """An Accept header with each media type that stands for another (``STANDS_FOR``) replaced by the one offered,
    where the route does not offer the type itself."""
    if not accept:
        return accept
    offers = set(offered)
    return ",".join(_read_range(part, offers) for part in accept.split(","))


def _read_range(part: str, offers: set[str]) -> str:
    media_type, _, parameters = part.partition(";")
    key = media_type.strip().lower()
    meant = next((exact for exact in STANDS_FOR.get(key, ()) if exact in offers), None)
    if meant is None or key in offers:
        return part
    return meant + (";" + parameters if parameters else "")


def names(media_types: Iterable[str]) -> list[str]:
    """The short name of each media type, or the media type where it has none."""
    short = {media_type: name for table in (OTHERS, DATASETS, GRAPHS, RESULTS) for name, media_type in table.items()}
    return [short.get(media_type, media_type) for media_type in media_types]


def suffixes(media_types: Iterable[str]) -> dict[str, str]:
    """The file suffix that names each media type in a path (``.ttl``), from its short name."""
    return {f".{name}": media_type for name, media_type in zip(names(media_types), media_types, strict=True)}
