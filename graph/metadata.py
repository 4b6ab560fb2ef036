"""The metadata graph: the dataset's own description, and one description per record graph.

The dataset description records the store's base URI (``void:uriSpace``), which is fixed when the store
is created. Each record graph is described with PROV-O and DCTERMS: what it is about, its sources, the role
of whoever contributed it, when, and where it stands in the one lifecycle (``/def/record-status``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import pyoxigraph as ox

from graph.rdf.identity import Identity
from graph.rdf.namespaces import STANDARD
from graph.rdf.query_text import iri
from graph.rdf.terms import value_of

RDF_TYPE = ox.NamedNode(STANDARD["rdf"] + "type")
DCTERMS = STANDARD["dcterms"]
SOURCE = ox.NamedNode(DCTERMS + "source")
VOID = STANDARD["void"]
XSD_DATETIME = ox.NamedNode(STANDARD["xsd"] + "dateTime")


def utc_stamp(when: datetime) -> str:
    """A time as ecomap writes it for people and feeds: ISO 8601 in UTC, ending in Z."""
    return when.isoformat().replace("+00:00", "Z")


STORED_BASE_QUERY = f"""
SELECT ?space WHERE {{
  GRAPH ?g {{ ?dataset a {iri(VOID + "Dataset")} ; {iri(VOID + "uriSpace")} ?space }}
  FILTER(STR(?g) = CONCAT(STR(?space), "data/metadata"))
}}"""


def dataset_description(identity: Identity) -> list[ox.Triple]:
    """The VoID/DCAT node that names the dataset and fixes its URI space."""
    dataset = ox.NamedNode(identity.dataset)
    return [
        ox.Triple(dataset, RDF_TYPE, ox.NamedNode(VOID + "Dataset")),
        ox.Triple(dataset, RDF_TYPE, ox.NamedNode(STANDARD["dcat"] + "Dataset")),
        ox.Triple(dataset, ox.NamedNode(DCTERMS + "title"), ox.Literal("ecomap: the UK data ecosystem", language="en")),
        ox.Triple(dataset, ox.NamedNode(VOID + "uriSpace"), ox.Literal(identity.base + "/")),
        ox.Triple(
            dataset,
            ox.NamedNode(DCTERMS + "license"),
            ox.NamedNode("http://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"),
        ),
    ]


def record_description(
    identity: Identity,
    graph: str,
    statements: Iterable[ox.Triple | ox.Quad],
    *,
    status: str,
    contributor_role: str,
    created: datetime,
    modified: datetime | None = None,
) -> list[ox.Triple]:
    """Describe one record graph: its topic, the sources its statements cite, who and when, and status."""
    topic = identity.topic_of_record(graph)
    if topic is None:
        raise ValueError(f"{graph} is not a record graph IRI of the form {identity.base}/data/{{class}}/{{key}}")
    record = ox.NamedNode(graph)
    eco = identity.resolve("def/ecosystem/")
    sources = sorted(
        {s.object.value for s in statements if s.predicate == SOURCE and isinstance(s.object, ox.NamedNode)}
    )
    stamp = ox.Literal(created.isoformat(), datatype=XSD_DATETIME)
    changed = ox.Literal((modified or created).isoformat(), datatype=XSD_DATETIME)
    return [
        ox.Triple(record, RDF_TYPE, ox.NamedNode(eco + "Record")),
        ox.Triple(record, ox.NamedNode(STANDARD["foaf"] + "primaryTopic"), ox.NamedNode(topic)),
        ox.Triple(record, ox.NamedNode(eco + "status"), ox.NamedNode(identity.resolve(f"def/record-status/{status}"))),
        ox.Triple(
            record,
            ox.NamedNode(eco + "contributorRole"),
            ox.NamedNode(identity.resolve(f"def/contributor-role/{contributor_role}")),
        ),
        ox.Triple(record, ox.NamedNode(DCTERMS + "created"), stamp),
        ox.Triple(record, ox.NamedNode(DCTERMS + "modified"), changed),
        ox.Triple(record, ox.NamedNode(STANDARD["prov"] + "generatedAtTime"), changed),
        *(ox.Triple(record, SOURCE, ox.NamedNode(s)) for s in sources),
    ]


def describe_loaded(identity: Identity, quads: Iterable[ox.Quad], now: datetime) -> list[str]:
    """Updates that describe each record graph ``quads`` add to and the metadata graph does not describe yet, as
    an editor's approved record created ``now`` (``ecomap load`` is the operator publishing), so that every
    record graph stays described. Each is conditional, so a record already described keeps its description (counted
    with an aggregate: Virtuoso evaluates a ``FILTER NOT EXISTS`` alone in a ``WHERE`` clause wrongly)."""
    meta, status = identity.metadata_graph, identity.resolve("def/ecosystem/status")
    by_graph: dict[str, list[ox.Quad]] = {}
    described = set()  # records the loaded statements describe themselves (an export loaded back)
    for quad in quads:
        if isinstance(quad.graph_name, ox.NamedNode) and identity.topic_of_record(quad.graph_name.value):
            by_graph.setdefault(quad.graph_name.value, []).append(quad)
        elif quad.graph_name == ox.NamedNode(meta) and quad.predicate.value == status:
            described.add(value_of(quad.subject))
    updates = []
    for graph, statements in by_graph.items():
        if graph in described:
            continue
        description = record_description(
            identity, graph, statements, status="approved", contributor_role="editor", created=now
        )
        body = " ".join(f"{t.subject} {t.predicate} {t.object} ." for t in description)
        updates.append(
            f"INSERT {{ GRAPH {iri(meta)} {{ {body} }} }} WHERE {{ {{ SELECT (COUNT(?status) AS ?described) "
            f"WHERE {{ GRAPH {iri(meta)} {{ {iri(graph)} {iri(status)} ?status }} }} }} FILTER(?described = 0) }}"
        )
    return updates
