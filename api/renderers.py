"""Turning a document's triples into what an HTML page shows: labels, grouped statements, provenance."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from api.dependencies import AppServices
from api.formats import RDF_FORMATS
from api.jsonld import compact
from api.pages import json_script, local_href
from graph.namespaces import STANDARD

LABEL_PREDICATES = [
    STANDARD["skos"] + "prefLabel",
    STANDARD["foaf"] + "name",
    STANDARD["rdfs"] + "label",
    STANDARD["dcterms"] + "title",
]
HIDDEN = {STANDARD["rdf"] + "type"}


@dataclass(frozen=True)
class Value:
    text: str
    href: str | None = None
    note: str | None = None


VOID = STANDARD["void"]


def _usage(triples: list[ox.Triple], thing: ox.NamedNode) -> list[str]:
    """How often the map uses a vocabulary term, from the document's VoID partitions."""
    partitions = {
        t.subject for t in triples if t.object == thing and t.predicate.value in (VOID + "property", VOID + "class")
    }
    counts = {t.predicate.value: t.object.value for t in triples if t.subject in partitions}
    usage = []
    if VOID + "triples" in counts:
        usage.append(f"Used in {counts[VOID + 'triples']} statements on the map.")
    if VOID + "entities" in counts:
        usage.append(f"{counts[VOID + 'entities']} things on the map are of this class.")
    return usage


# How ecomap's terms read in schema.org, for the JSON-LD embedded in pages (search engines read schema.org).
SCHEMA_TYPES = {
    STANDARD["org"] + "Organization": "Organization",
    STANDARD["org"] + "FormalOrganization": "Organization",
    STANDARD["org"] + "OrganizationalUnit": "Organization",
    STANDARD["rov"] + "RegisteredOrganization": "Organization",
    STANDARD["foaf"] + "Person": "Person",
    STANDARD["dcterms"] + "Location": "Place",
    STANDARD["skos"] + "Concept": "DefinedTerm",
    STANDARD["skos"] + "ConceptScheme": "DefinedTermSet",
}
SCHEMA_PROPERTIES = {
    STANDARD["skos"] + "prefLabel": "name",
    STANDARD["skos"] + "altLabel": "alternateName",
    STANDARD["dcterms"] + "description": "description",
    STANDARD["foaf"] + "homepage": "url",
    STANDARD["skos"] + "exactMatch": "sameAs",
}


def schema_org_view(triples: list[ox.Triple], services: AppServices) -> list[ox.Triple]:
    """The document's triples plus their schema.org equivalents; activities read as schema:Event or Project."""
    schema = STANDARD["schema"]
    rdf_type = ox.NamedNode(STANDARD["rdf"] + "type")
    activity = ox.NamedNode(services.settings.base_uri + "/def/ecosystem/Activity")
    event = ox.NamedNode(services.settings.base_uri + "/def/activity-kind/event")
    kind = ox.NamedNode(services.settings.base_uri + "/def/ecosystem/activityKind")
    events = {t.subject for t in triples if t.predicate == kind and t.object == event}
    extra = []
    for t in triples:
        if t.predicate == rdf_type and t.object.value in SCHEMA_TYPES:
            extra.append(ox.Triple(t.subject, rdf_type, ox.NamedNode(schema + SCHEMA_TYPES[t.object.value])))
        elif t.predicate == rdf_type and t.object == activity:
            name = "Event" if t.subject in events else "Project"
            extra.append(ox.Triple(t.subject, rdf_type, ox.NamedNode(schema + name)))
        elif t.predicate.value in SCHEMA_PROPERTIES:
            extra.append(ox.Triple(t.subject, ox.NamedNode(schema + SCHEMA_PROPERTIES[t.predicate.value]), t.object))
    return triples + extra


def serialise(triples: list[ox.Triple], media_type: str, services: AppServices) -> bytes:
    """A document's triples in an RDF media type; JSON-LD is compacted with ecomap's published context."""
    if media_type == "application/ld+json":
        return compact(triples, services.settings.base_uri)
    return ox.serialize(triples, format=RDF_FORMATS[media_type], prefixes=services.prefixes)


def labels_of(triples: list[ox.Triple]) -> dict[str, str]:
    """The best label of every node: English first, then any language, in order of label property."""
    found: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for t in triples:
        if t.predicate.value in LABEL_PREDICATES and isinstance(t.object, ox.Literal):
            rank = LABEL_PREDICATES.index(t.predicate.value)
            lang = 0 if t.object.language in (None, "en") else 1
            found[str(t.subject.value)].append((lang, rank, t.object.value))
    return {node: min(options)[2] for node, options in found.items()}


def curie(iri: str, prefixes: dict[str, str]) -> str:
    for name, namespace in sorted(prefixes.items(), key=lambda p: -len(p[1])):
        if iri.startswith(namespace) and len(iri) > len(namespace):
            return f"{name}:{iri[len(namespace) :]}"
    return iri


def page_context(services: AppServices, thing: str, document: str, triples: list[ox.Triple]) -> dict[str, Any]:
    base = services.settings.base_uri
    labels = labels_of(triples)

    def show(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Value:
        if isinstance(term, ox.Literal):
            note = term.language or (
                curie(term.datatype.value, services.prefixes)
                if term.datatype.value != STANDARD["xsd"] + "string"
                else None
            )
            return Value(term.value, note=note)
        if isinstance(term, ox.NamedNode):
            return Value(
                labels.get(term.value, curie(term.value, services.prefixes)), href=local_href(term.value, base)
            )
        return Value("(anonymous)")

    def prop(iri: str) -> Value:
        return Value(labels.get(iri, curie(iri, services.prefixes)), href=local_href(iri, base))

    subject = ox.NamedNode(thing)
    statements: dict[str, list[Value]] = defaultdict(list)
    types: list[Value] = []
    inbound: list[tuple[Value, Value]] = []
    for t in triples:
        if t.subject == subject and t.predicate.value == STANDARD["rdf"] + "type":
            types.append(show(t.object))
        elif t.subject == subject and t.predicate.value not in LABEL_PREDICATES[:1]:
            statements[t.predicate.value].append(show(t.object))
        elif t.object == subject and isinstance(t.subject, ox.NamedNode) and t.predicate.value not in HIDDEN:
            inbound.append((show(t.subject), prop(t.predicate.value)))
    related = sorted(
        {
            t.subject.value
            for t in triples
            if isinstance(t.subject, ox.NamedNode)
            and t.subject != subject
            and t.predicate.value == STANDARD["rdf"] + "type"
        }
    )
    parts = [show(ox.NamedNode(iri)) for iri in related if iri.startswith(base + "/id/") and iri in labels]
    json_ld = json.loads(compact(schema_org_view(triples, services), base))
    usage = _usage(triples, subject)
    return {
        "title": labels.get(thing, curie(thing, services.prefixes)),
        "iri": thing,
        "document": local_href(document, base),
        "types": types,
        "statements": sorted(
            ((prop(p), values) for p, values in statements.items()), key=lambda pv: pv[0].text.lower()
        ),
        "inbound": sorted(inbound, key=lambda sv: (sv[1].text.lower(), sv[0].text.lower())),
        "parts": sorted(parts, key=lambda v: v.text.lower()),
        "json_ld": json_script(json_ld),
        "usage": usage,
    }
