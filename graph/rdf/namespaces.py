"""The prefixes ecomap writes and accepts, so that queries and exports read the same everywhere."""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache

STANDARD = {
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "dcterms": "http://purl.org/dc/terms/",
    "dcat": "http://www.w3.org/ns/dcat#",
    "void": "http://rdfs.org/ns/void#",
    "prov": "http://www.w3.org/ns/prov#",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "org": "http://www.w3.org/ns/org#",
    "rov": "http://www.w3.org/ns/regorg#",
    "adms": "http://www.w3.org/ns/adms#",
    "schema": "https://schema.org/",
    "geo": "http://www.opengis.net/ont/geosparql#",
    "sh": "http://www.w3.org/ns/shacl#",
}

# ecomap's own namespaces, relative to the store's base URI.
OWN = {
    "eco": "def/ecosystem/",
    "shp": "def/shapes/",
    "register": "def/register/",
    "organisation": "id/organisation/",
    "activity": "id/activity/",
    "relationship": "id/relationship/",
    "person": "id/person/",
    "place": "id/place/",
    "strategy": "id/strategy/",
}


def prefixes(base: str) -> dict[str, str]:
    """Every prefix ecomap uses, with its own namespaces resolved against ``base``."""
    return {**STANDARD, **{name: f"{base}/{path}" for name, path in OWN.items()}}


def curie(iri: str, prefixes: Mapping[str, str]) -> str:
    """``prefix:local`` for an IRI in one of ``prefixes`` (the longest namespace wins), else the IRI itself. A
    local part starting with ``//`` stays whole: as JSON-LD it would read as an absolute IRI."""
    for name, namespace in _longest_first(tuple(prefixes.items())):
        if iri.startswith(namespace) and len(iri) > len(namespace) and not iri.startswith("//", len(namespace)):
            return f"{name}:{iri[len(namespace) :]}"
    return iri


@lru_cache(maxsize=8)
def _longest_first(items: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    return sorted(items, key=lambda item: -len(item[1]))


# The classes whose instances are organisations on the map (ORG and its subclasses, and ROV's).
ORGANISATION_CLASSES = {
    STANDARD["org"] + "Organization",
    STANDARD["org"] + "FormalOrganization",
    STANDARD["org"] + "OrganizationalUnit",
    STANDARD["rov"] + "RegisteredOrganization",
}
