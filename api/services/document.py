"""What the document about a thing says: one CONSTRUCT, so one page never mixes two versions of the data.

The document holds the thing's own statements, its whole record graph (an organisation's activities and
identifiers, for example), the statements that point at it, the labels of everything it links to, and its
record's provenance; then the document describes itself (primary topic, licence, last modified).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyoxigraph as ox

from api.dependencies import AppServices
from graph.contributions.withdrawal import tombstones_query
from graph.matching.links import derived_links
from graph.rdf.namespaces import STANDARD
from graph.rdf.terms import value_of
from graph.store.interface import Row

LABELS = "skos:prefLabel, foaf:name, rdfs:label, dcterms:title"
AGENT = "eco:ledBy|eco:runBy|eco:hostedBy|eco:participant"
OGL = ox.NamedNode("http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/")


def description_query(thing: str, record: str | None, metadata: str, dataset: str, *, term: bool = False) -> str:
    """One CONSTRUCT for the whole document; for a vocabulary ``term`` it also says how often the map uses it,
    as a VoID class or property partition of the dataset (two counts that an /id/ thing's page does without: 14% of
    its query's time)."""
    # Every IRI goes in as pyoxigraph writes it, checked and escaped, never as raw text. The judgements on the
    # thing's activities are reached from the activities and only then tested for their type: Oxigraph starts a
    # join from the type's every member (13 ms of a 20 ms page with 680 judgements on the map; 0.6 ms this way).
    thing_term, metadata_term, dataset_term = (str(ox.NamedNode(iri)) for iri in (thing, metadata, dataset))
    record_term = str(ox.NamedNode(record)) if record else ""
    thing_literal = str(ox.Literal(thing))
    record_part = (
        f"""UNION {{ GRAPH {record_term} {{ ?s ?p ?o }} }}
  UNION {{ GRAPH {record_term} {{ ?x ?y ?s }} ?s ?p ?o FILTER(?p IN ({LABELS})) }}"""
        if record
        else ""
    )
    usage_part = (
        f"""UNION {{ {{ SELECT (COUNT(*) AS ?uses) WHERE {{ ?x {thing_term} ?y }} }} FILTER(?uses > 0)
           BIND({dataset_term} AS ?dataset)
           BIND(IRI(CONCAT(STR({dataset_term}), "#property-", MD5({thing_literal}))) AS ?propertyPartition) }}
  UNION {{ {{ SELECT (COUNT(DISTINCT ?x) AS ?members) WHERE {{ ?x a {thing_term} }} }} FILTER(?members > 0)
           BIND({dataset_term} AS ?dataset)
           BIND(IRI(CONCAT(STR({dataset_term}), "#class-", MD5({thing_literal}))) AS ?classPartition) }}"""
        if term
        else ""
    )
    return f"""CONSTRUCT {{
  ?s ?p ?o .
  ?dataset void:propertyPartition ?propertyPartition .
  ?propertyPartition void:property {thing_term} ; void:triples ?uses .
  ?dataset void:classPartition ?classPartition . ?classPartition void:class {thing_term} ; void:entities ?members .
}} WHERE {{
  {{ {thing_term} ?p ?o BIND({thing_term} AS ?s) }}
  UNION {{ ?s ?p {thing_term} BIND({thing_term} AS ?o) }}
  UNION {{ {{ {thing_term} ?x ?s }} UNION {{ ?s ?x {thing_term} }} ?s ?p ?o FILTER(?p IN ({LABELS})) }}
  UNION {{ {thing_term} ?q ?x . ?q rdfs:label ?o BIND(?q AS ?s) BIND(rdfs:label AS ?p) }}
  UNION {{ GRAPH {metadata_term} {{ ?s foaf:primaryTopic {thing_term} ; ?p ?o }} }}
  UNION {{ ?s eco:fromOrganisation|eco:toOrganisation {thing_term} ; ?p ?o }}
  UNION {{ ?r eco:fromOrganisation|eco:toOrganisation {thing_term} ; ?q ?s . ?s ?p ?o FILTER(?p IN ({LABELS})) }}
  UNION {{ ?a {AGENT} {thing_term} . ?a eco:supports|eco:activityKind ?s . ?s ?p ?o FILTER(?p IN ({LABELS})) }}
  UNION {{ ?s {AGENT} {thing_term} ; ?p ?o FILTER(?p IN (eco:supports, eco:activityKind, rdf:type)) }}
  UNION {{ ?a {AGENT} {thing_term} . ?s rdf:subject ?a ; ?p ?o FILTER EXISTS {{ ?s a eco:EditorialJudgement }} }}
  UNION {{ ?s a eco:EditorialJudgement ; rdf:subject {thing_term} ; ?p ?o }}
  UNION {{ {thing_term} eco:basedIn|eco:operatesIn|dcterms:spatial ?s . ?s owl:sameAs ?o BIND(owl:sameAs AS ?p) }}
  UNION {{ {derived_links(thing_term, "?o")} BIND({thing_term} AS ?s) BIND(skos:exactMatch AS ?p) }}
  {usage_part}
  {record_part}
}}"""


def self_description(document: str, thing: str, triples: list[ox.Triple]) -> list[ox.Triple]:
    """The document's own statements: what it is about, its licence, and when its record last changed."""
    doc = ox.NamedNode(document)
    topic = ox.NamedNode(STANDARD["foaf"] + "primaryTopic")
    modified = ox.NamedNode(STANDARD["dcterms"] + "modified")
    records = {t.subject for t in triples if t.predicate == topic and t.object == ox.NamedNode(thing)}
    stamps = sorted(value_of(t.object) for t in triples if t.predicate == modified and t.subject in records)
    own = [
        ox.Triple(doc, ox.NamedNode(STANDARD["rdf"] + "type"), ox.NamedNode(STANDARD["foaf"] + "Document")),
        ox.Triple(doc, topic, ox.NamedNode(thing)),
        ox.Triple(doc, ox.NamedNode(STANDARD["dcterms"] + "license"), OGL),
    ]
    if stamps:
        own.append(
            ox.Triple(doc, modified, ox.Literal(stamps[-1], datatype=ox.NamedNode(STANDARD["xsd"] + "dateTime")))
        )
    return own


def last_modified(triples: list[ox.Triple], document: str) -> datetime | None:
    """When the document's record last changed, from its own description (in UTC)."""
    modified = ox.NamedNode(STANDARD["dcterms"] + "modified")
    for t in triples:
        if t.subject == ox.NamedNode(document) and t.predicate == modified:
            return datetime.fromisoformat(value_of(t.object)).astimezone(UTC)
    return None


async def described(services: AppServices, thing: str, record: str, *, term: bool = False) -> list[ox.Triple]:
    """The statements the document about ``thing`` shows (none if nothing is said of it); for a vocabulary ``term``,
    also how often the map uses it."""
    identity = services.identity
    query = description_query(thing, record, identity.metadata_graph, identity.dataset, term=term)
    triples = await services.public.triples(query)
    return triples if any(t.subject == ox.NamedNode(thing) for t in triples) else []


async def tombstone(services: AppServices, record: str) -> Row | None:
    """When and why the record ended, and the record it was merged into if it was; None if it has not ended."""
    rows = await services.public.solutions(tombstones_query(services.identity, record))
    return rows[0] if rows else None


async def versioned(services: AppServices, version: str) -> str | None:
    """The ontology whose current version ``version`` names (``owl:versionIRI``), if one does."""
    property_, named = ox.NamedNode(STANDARD["owl"] + "versionIRI"), ox.NamedNode(version)
    rows = await services.public.solutions(f"SELECT ?ontology WHERE {{ ?ontology {property_} {named} }} LIMIT 1")
    return rows[0]["ontology"].value if rows else None
