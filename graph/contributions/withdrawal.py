"""Withdrawing a record, or merging it into another, without breaking the URIs that others link to.

The record's statements leave the public store; a tombstone stays in the metadata graph (what happened,
when, why, and for a merge the surviving thing), so that the thing's URI can answer ``410 Gone`` with that
explanation, or redirect to the survivor. The tombstone is not an ``eco:Record``: counts of records leave
it out. The record's last published state stays in its history (graph.contributions.history).
"""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum

import pyoxigraph as ox

from graph.metadata import DCTERMS, XSD_DATETIME, utc_stamp
from graph.rdf.identity import Identity
from graph.rdf.namespaces import STANDARD
from graph.rdf.query_text import iri, iris
from graph.rdf.terms import Term
from graph.store.transaction import Transaction


class Ending(StrEnum):
    WITHDRAWN = "withdrawn"
    MERGED = "merged"


def end_transaction(
    identity: Identity,
    record: str,
    ending: Ending,
    *,
    reason: str,
    moderator: str,
    created: datetime | None,
    survivor: str | None = None,
) -> Transaction:
    """The public store's change: the record graph dropped and its description replaced by a tombstone, timed
    to the microsecond so that the change feed orders it after an approval in the same second."""
    eco = identity.resolve("def/ecosystem/")
    meta = identity.metadata_graph
    node = ox.NamedNode(record)
    now = ox.Literal(utc_stamp(datetime.now(UTC)), datatype=XSD_DATETIME)
    topic = identity.topic_of_record(record)
    if topic is None:
        raise ValueError(f"{record} is not a record graph")
    described: list[tuple[ox.NamedNode, Term]] = [
        (ox.NamedNode(STANDARD["foaf"] + "primaryTopic"), ox.NamedNode(topic)),
        (ox.NamedNode(eco + "status"), ox.NamedNode(identity.resolve(f"def/record-status/{ending}"))),
        (ox.NamedNode(DCTERMS + "modified"), now),
        (ox.NamedNode(eco + "decisionReason"), ox.Literal(reason, language="en")),
        (ox.NamedNode(eco + "decidedBy"), ox.NamedNode(moderator)),
        *(
            [(ox.NamedNode(DCTERMS + "created"), ox.Literal(created.isoformat(), datatype=XSD_DATETIME))]
            if created
            else []
        ),
        *([(ox.NamedNode(DCTERMS + "isReplacedBy"), ox.NamedNode(survivor))] if survivor else []),
    ]
    transaction = Transaction()
    transaction.drop_graph(record)
    transaction.delete_description(meta, record)
    transaction.add(ox.Quad(node, p, o, ox.NamedNode(meta)) for p, o in described)
    return transaction


def tombstones_query(identity: Identity, record: str | None = None, limit: int = 1) -> str:
    """Tombstones, newest first: the one record's if given (where a URI that is gone learns why), else every
    record's (for the change feed)."""
    eco = identity.resolve("def/ecosystem/")
    ended = iris(identity.resolve(f"def/record-status/{e}") for e in Ending)
    only = f"VALUES ?record {{ {iri(record)} }}" if record else ""
    return f"""SELECT ?record ?status ?modified ?reason ?survivor WHERE {{
  {only}
  GRAPH {iri(identity.metadata_graph)} {{
    ?record {iri(eco + "status")} ?status ; {iri(DCTERMS + "modified")} ?modified .
    VALUES ?status {{ {ended} }}
    OPTIONAL {{ ?record {iri(eco + "decisionReason")} ?reason }}
    OPTIONAL {{ ?record {iri(DCTERMS + "isReplacedBy")} ?survivor }}
  }}
}} ORDER BY DESC(?modified) LIMIT {limit}"""
