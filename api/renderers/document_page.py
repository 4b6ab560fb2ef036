"""Turning a document's triples into what an HTML page shows: labels, grouped statements, provenance."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox

from api.dependencies import AppServices
from api.formats import RDF_FORMATS
from api.renderers.jsonld import compact, compacted
from api.renderers.pages import json_script, local_href
from graph.matching.links import target_of
from graph.rdf.formats import in_memory
from graph.rdf.identity import UriClass
from graph.rdf.namespaces import ORGANISATION_CLASSES, STANDARD, curie
from graph.rdf.terms import as_subject, as_term, value_of

CORRECTABLE = {UriClass.ORGANISATION, UriClass.ACTIVITY, UriClass.RELATIONSHIP}

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
    counts = {t.predicate.value: value_of(t.object) for t in triples if t.subject in partitions}
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


def _judgements_about(triples: list[ox.Triple], subject: ox.NamedNode) -> dict[tuple[str, str], str]:
    """(property, value) of each statement about ``subject`` that rests on an editor's judgement, with why."""
    rdf = STANDARD["rdf"]
    by_node: dict[str, dict[str, str]] = defaultdict(dict)
    for t in triples:
        by_node[value_of(t.subject)][t.predicate.value] = value_of(t.object)
    eco_rationale = next((p for node in by_node.values() for p in node if p.endswith("/def/ecosystem/rationale")), None)
    return {
        (node[rdf + "predicate"], node[rdf + "object"]): node.get(eco_rationale or "", "")
        for node in by_node.values()
        if node.get(rdf + "subject") == subject.value and rdf + "predicate" in node and rdf + "object" in node
    }


def _list_links(services: AppServices, thing: str, triples: list[ox.Triple]) -> list[Value]:
    """For a framework concept or a place: the organisations and activities behind it."""
    base = services.settings.base_uri
    if thing.startswith(base + "/def/") and any(
        t.predicate.value == STANDARD["skos"] + "inScheme" for t in triples if value_of(t.subject) == thing
    ):
        area = thing[len(base) + 1 :]
        return [
            Value("Organisations supporting this", href=f"/organisations?area={area}"),
            Value("Activities supporting this", href=f"/activities?area={area}"),
        ]
    if thing.startswith(base + "/id/place/"):
        code = thing.rsplit("/", 1)[-1]
        return [
            Value("Organisations here", href=f"/organisations?place={code}"),
            Value("Activities here", href=f"/activities?place={code}"),
        ]
    return []


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
        if t.predicate == rdf_type and value_of(t.object) in SCHEMA_TYPES:
            extra.append(ox.Triple(t.subject, rdf_type, ox.NamedNode(schema + SCHEMA_TYPES[value_of(t.object)])))
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
    return in_memory(ox.serialize(triples, format=RDF_FORMATS[media_type], prefixes=services.prefixes))


def labels_of(triples: list[ox.Triple]) -> dict[str, str]:
    """The best label of every node: English first, then any language, in order of label property."""
    found: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
    for t in triples:
        if t.predicate.value in LABEL_PREDICATES and isinstance(t.object, ox.Literal):
            rank = LABEL_PREDICATES.index(t.predicate.value)
            lang = 0 if t.object.language in (None, "en") else 1
            found[value_of(t.subject)].append((lang, rank, t.object.value))
    return {node: min(options)[2] for node, options in found.items()}


def _correctable(services: AppServices, thing: str) -> bool:
    """Whether the contribution form can start from this thing: an organisation, or its activity or relationship."""
    ref = services.identity.parse(thing)
    return ref is not None and ref.space == "id" and ref.uri_class in CORRECTABLE


def _person_key(services: AppServices, thing: str) -> str | None:
    """A person's key, for the link to ask for their details to be corrected or removed."""
    ref = services.identity.parse(thing)
    return ref.key if ref is not None and ref.space == "id" and ref.uri_class is UriClass.PERSON else None


def shown(
    term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple, services: AppServices, labels: Mapping[str, str]
) -> Value:
    """A term as a page shows it: a literal with its language or datatype, an IRI by its label and linked."""
    if isinstance(term, ox.Literal):
        note = term.language or (
            curie(term.datatype.value, services.prefixes) if term.datatype.value != STANDARD["xsd"] + "string" else None
        )
        return Value(term.value, note=note)
    if isinstance(term, ox.NamedNode):
        base = services.settings.base_uri
        return Value(labels.get(term.value, curie(term.value, services.prefixes)), href=local_href(term.value, base))
    return Value("(a statement)" if isinstance(term, ox.Triple) else "(anonymous)")


def page_context(services: AppServices, thing: str, document: str, triples: list[ox.Triple]) -> dict[str, Any]:
    base = services.settings.base_uri
    labels = labels_of(triples)

    def show(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Value:
        return shown(term, services, labels)

    def prop(iri: str) -> Value:
        return Value(labels.get(iri, curie(iri, services.prefixes)), href=local_href(iri, base))

    subject = ox.NamedNode(thing)
    judged = _judgements_about(triples, subject)
    statements: dict[str, list[Value]] = defaultdict(list)
    types: list[Value] = []
    inbound: list[tuple[Value, Value]] = []
    for t in triples:
        if t.subject == subject and t.predicate.value == STANDARD["rdf"] + "type":
            types.append(show(as_term(t.object)))
        elif t.subject == subject and t.predicate.value not in LABEL_PREDICATES[:1]:
            value = show(as_term(t.object))
            rationale = judged.get((t.predicate.value, value_of(t.object)))
            if rationale is not None:
                value = Value(value.text, value.href, f"an editor's judgement: {rationale}")
            statements[t.predicate.value].append(value)
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
    json_ld = compacted(schema_org_view(triples, services), base)
    usage = _usage(triples, subject)
    is_organisation = any(
        t.predicate.value == STANDARD["rdf"] + "type" and value_of(t.object) in ORGANISATION_CLASSES
        for t in triples
        if t.subject == subject
    )
    return {
        "organisation": organisation_view(services, thing, triples) if is_organisation else None,
        "correctable": _correctable(services, thing),
        "person_key": _person_key(services, thing),
        "lists": _list_links(services, thing, triples),
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


@dataclass(frozen=True)
class Support:
    concept: Value
    editorial: bool


@dataclass(frozen=True)
class ActivityView:
    activity: Value
    kind: str
    role: str
    supports: list[Support]


@dataclass(frozen=True)
class RelationshipView:
    source: Value
    kind: str
    target: Value
    concerning: Value | None


ROLES = {"ledBy": "leads", "runBy": "runs", "hostedBy": "hosts", "participant": "takes part in"}
# How a link out is named on the page, by its target dataset (graph.matching.links).
LINK_NAMES = {"wikidata": "Wikidata", "companies-house": "Companies House"}


def organisation_view(services: AppServices, thing: str, triples: list[ox.Triple]) -> dict[str, Any]:
    """What a person wants from an organisation's page: what it does, with whom, its numbers and sources."""
    base = services.settings.base_uri
    eco = base + "/def/ecosystem/"
    labels = labels_of(triples)
    subject = ox.NamedNode(thing)

    def value(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> Value:
        return Value(labels.get(term.value, curie(term.value, services.prefixes)), href=local_href(term.value, base))

    by_subject: dict[str, list[ox.Triple]] = defaultdict(list)
    for t in triples:
        by_subject[value_of(t.subject)].append(t)
    judged = {
        (_one(by_subject[j], STANDARD["rdf"] + "subject"), _one(by_subject[j], STANDARD["rdf"] + "object"))
        for j, statements in by_subject.items()
        if any(
            t.predicate.value == STANDARD["rdf"] + "predicate" and value_of(t.object) == eco + "supports"
            for t in statements
        )
    }
    activities = []
    for t in triples:
        role = t.predicate.value.removeprefix(eco)
        if t.object == subject and role in ROLES:
            statements = by_subject[value_of(t.subject)]
            supports = [
                Support(value(as_term(s.object)), (value_of(t.subject), value_of(s.object)) in judged)
                for s in statements
                if s.predicate.value == eco + "supports"
            ]
            kind = next(
                (labels.get(value_of(s.object), "") for s in statements if s.predicate.value == eco + "activityKind"),
                "",
            )
            activities.append(
                ActivityView(
                    value(as_subject(t.subject)), kind, ROLES[role], sorted(supports, key=lambda s: s.concept.text)
                )
            )
    relationships = []
    for statements in by_subject.values():
        if not any(s.predicate.value == eco + "relationshipKind" for s in statements):
            continue
        source, relation, target, concerning = (
            _object(statements, eco + p)
            for p in ("fromOrganisation", "relationshipKind", "toOrganisation", "concerning")
        )
        # The shapes require the first three, and IRIs, but an operator's load is not checked against them.
        if subject not in (source, target) or source is None or relation is None or target is None:
            continue
        relationships.append(
            RelationshipView(
                value(source),
                labels.get(relation.value, curie(relation.value, services.prefixes)),
                value(target),
                value(concerning) if concerning is not None else None,
            )
        )
    identifiers = []
    for t in by_subject[thing]:
        if t.predicate.value == STANDARD["adms"] + "identifier":
            number = next(
                (
                    s.object
                    for s in by_subject[value_of(t.object)]
                    if s.predicate.value == STANDARD["skos"] + "notation"
                ),
                None,
            )
            if isinstance(number, ox.Literal):
                register = number.datatype.value.rsplit("/", 1)[-1]
                identifiers.append(Value(f"{register}-{number.value}", href=local_href(value_of(t.object), base)))
        elif t.predicate.value == STANDARD["skos"] + "exactMatch":
            iri = value_of(t.object)
            linked = target_of(iri)
            name = LINK_NAMES.get(linked.name) if linked else None
            shown = f"{name} {iri.rsplit('/', 1)[-1]}" if name else iri
            identifiers.append(Value(shown, href=local_href(iri, base)))
    sources = [
        value(as_term(t.object)) for t in by_subject[thing] if t.predicate.value == STANDARD["dcterms"] + "source"
    ]
    places = [
        (
            "based in" if t.predicate.value == eco + "basedIn" else "operates in",
            value(as_term(t.object)),
            local_href(_one(by_subject[value_of(t.object)], STANDARD["owl"] + "sameAs") or "", base),
        )
        for t in by_subject[thing]
        if t.predicate.value in (eco + "basedIn", eco + "operatesIn")
    ]
    return {
        "activities": sorted(activities, key=lambda a: a.activity.text.lower()),
        "relationships": relationships,
        "identifiers": identifiers,
        "sources": sorted(sources, key=lambda v: v.text.lower()),
        "places": places,
    }


def _one(statements: list[ox.Triple], predicate: str) -> str | None:
    return next((value_of(t.object) for t in statements if t.predicate.value == predicate), None)


def _object(statements: list[ox.Triple], predicate: str) -> ox.NamedNode | ox.BlankNode | ox.Literal | None:
    """The first object of ``predicate``, skipping quoted triples (an operator's load may hold anything)."""
    for t in statements:
        if t.predicate.value == predicate and not isinstance(t.object, ox.Triple):
            return t.object
    return None
