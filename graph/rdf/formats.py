"""The RDF serialisations ecomap reads and writes, by file extension and by name."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

BY_NAME: dict[str, ox.RdfFormat] = {
    "ttl": ox.RdfFormat.TURTLE,
    "turtle": ox.RdfFormat.TURTLE,
    "trig": ox.RdfFormat.TRIG,
    "nt": ox.RdfFormat.N_TRIPLES,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nq": ox.RdfFormat.N_QUADS,
    "nquads": ox.RdfFormat.N_QUADS,
    "jsonld": ox.RdfFormat.JSON_LD,
    "json": ox.RdfFormat.JSON_LD,
    "rdf": ox.RdfFormat.RDF_XML,
    "xml": ox.RdfFormat.RDF_XML,
    "owl": ox.RdfFormat.RDF_XML,
}


class UnknownFormatError(ValueError):
    """The serialisation of a file could not be told from its name."""


def format_for(path: Path, name: str | None = None) -> ox.RdfFormat:
    """The format named explicitly, or else the one the file extension implies."""
    key = (name or "".join(path.suffixes[-1:]).lstrip(".")).lower()
    if key not in BY_NAME:
        known = ", ".join(sorted(BY_NAME))
        raise UnknownFormatError(f"{path}: cannot tell the RDF format from {key!r}; use --format with one of {known}")
    return BY_NAME[key]


def in_memory(serialised: bytes | None) -> bytes:
    """What a pyoxigraph ``serialize`` or ``dump`` called without an output returns: the bytes. (Its type says
    ``bytes | None`` because, given an output, it writes there and returns None.)"""
    if serialised is None:
        raise TypeError("pyoxigraph wrote to an output instead of returning the serialisation")
    return serialised
