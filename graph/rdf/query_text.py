"""Terms in SPARQL text. Every IRI and literal that a query is built from enters its text through here, serialised by
pyoxigraph, which refuses an IRI that is not one; none is pasted in with an f-string, so no value can end its term
and start query text of its own."""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox

from graph.rdf.namespaces import prefixes


def iri(value: str) -> str:
    """``<value>``; ``ValueError`` if ``value`` is not an absolute IRI."""
    return str(ox.NamedNode(value))


def iris(values: Iterable[str]) -> str:
    """The IRIs separated by spaces, as a ``VALUES`` block lists them."""
    return " ".join(iri(value) for value in values)


# The most IRIs one query's ``VALUES`` block lists: Virtuoso refuses a block of 8,000 ("SP030: Too many arguments"),
# which a submission's subjects or the things it refers to can reach; a longer list is asked in several queries.
VALUES_BATCH = 1000


def iri_batches(values: Iterable[str]) -> list[str]:
    """The IRIs, sorted and without repeats, as ``VALUES`` blocks of at most ``VALUES_BATCH`` each."""
    ordered = sorted(set(values))
    return [iris(ordered[start : start + VALUES_BATCH]) for start in range(0, len(ordered), VALUES_BATCH)]


def literal(value: str, *, language: str | None = None, datatype: str | None = None) -> str:
    """A string (with its language or datatype), quoted and escaped."""
    return str(ox.Literal(value, language=language, datatype=ox.NamedNode(datatype) if datatype else None))


def prologue(base: str) -> str:
    """``BASE`` and ecomap's ``PREFIX`` declarations, which the store client puts in front of every query it sends, so
    that a query may use the prefixes and relative IRIs that the map's documents use."""
    declarations = "".join(f"PREFIX {name}: {iri(namespace)}\n" for name, namespace in prefixes(base).items())
    return f"BASE {iri(base + '/')}\n{declarations}"
