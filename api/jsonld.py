"""ecomap's JSON-LD: one published compact ``@context``, used for every JSON-LD document it serves.

The context is built in (and served at ``/context.jsonld``), so no client and no part of ecomap needs to
fetch a remote context to read ecomap's JSON-LD.
"""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox

from graph.convert import to_rdflib
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
    ctx = context(base)["@context"]
    text = to_rdflib(triples).serialize(format="json-ld", context=ctx, auto_compact=True)
    return json.dumps(json.loads(text), ensure_ascii=False, indent=1).encode()
