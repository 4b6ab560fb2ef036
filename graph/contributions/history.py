"""Every approved version of a record, kept in the staging store, so that a record's history can be read.

The public store holds only the current version of each record. On approval, each record's new version is
copied into a graph of its own in the staging store, ``{record graph}/version/{submission id}``, described
with PROV-O: which record it is a version of, when it was approved, the submission it came from and the
version it revises. A record first published before any approval (the seed) gets its published state kept
as the ``initial`` version the first time it changes, so that the chain has no gap.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyoxigraph as ox

from graph.metadata import XSD_DATETIME, utc_stamp
from graph.rdf.identity import Identity
from graph.rdf.namespaces import STANDARD
from graph.rdf.query_text import iri, iris
from graph.rdf.terms import Term
from graph.store.interface import Store
from graph.store.transaction import Transaction

PROV = STANDARD["prov"]
INITIAL = "initial"


@dataclass(frozen=True)
class Version:
    iri: str
    record: str
    generated: datetime
    submission: str | None
    revises: str | None


def version_graph(record: str, key: str) -> str:
    return f"{record}/version/{key}"


def latest_query(identity: Identity, records: list[str]) -> str:
    """The versions of the given records (the caller takes each record's newest)."""
    return (
        f"SELECT ?record ?version ?generated WHERE {{ VALUES ?record {{ {iris(records)} }} "
        f"GRAPH {iri(identity.metadata_graph)} {{ ?version {iri(PROV + 'specializationOf')} ?record ; "
        f"{iri(PROV + 'generatedAtTime')} ?generated }} }}"
    )


def history_query(identity: Identity, record: str) -> str:
    """The record's versions, newest first; a version kept by an approval that has not finished is left out."""
    eco, approved = identity.resolve("def/ecosystem/"), identity.resolve("def/record-status/approved")
    return f"""SELECT ?version ?generated ?submission ?revises WHERE {{
  GRAPH {iri(identity.metadata_graph)} {{
    ?version {iri(PROV + "specializationOf")} {iri(record)} ; {iri(PROV + "generatedAtTime")} ?generated .
    OPTIONAL {{ ?version {iri(PROV + "wasDerivedFrom")} ?submission }}
    OPTIONAL {{ ?version {iri(PROV + "wasRevisionOf")} ?revises }}
    FILTER(!BOUND(?submission) || EXISTS {{ ?submission {iri(eco + "status")} {iri(approved)} }})
  }}
}} ORDER BY DESC(?generated)"""


def versions(rows: list[dict[str, ox.NamedNode | ox.BlankNode | ox.Literal]], record: str) -> list[Version]:
    return [
        Version(
            row["version"].value,
            record,
            datetime.fromisoformat(row["generated"].value),
            row["submission"].value if "submission" in row else None,
            row["revises"].value if "revises" in row else None,
        )
        for row in rows
    ]


async def kept_versions(staging: Store, identity: Identity, record: str) -> list[Version]:
    """The record's versions in the staging store, newest first: for the web app and the command line alike."""
    return versions(await staging.solutions(history_query(identity, record)), record)


def keep_version(
    identity: Identity,
    transaction: Transaction,
    record: str,
    triples: list[ox.Triple],
    *,
    key: str,
    generated: datetime,
    submission: str | None,
    revises: str | None,
) -> str:
    """Add to the staging store's transaction a copy of one version of a record, described; return its IRI."""
    version = version_graph(record, key)
    transaction.replace_graph(version, triples)
    node, meta = ox.NamedNode(version), ox.NamedNode(identity.metadata_graph)
    stamp = ox.Literal(utc_stamp(generated), datatype=XSD_DATETIME)
    described: list[tuple[ox.NamedNode, Term]] = [
        (ox.NamedNode(STANDARD["rdf"] + "type"), ox.NamedNode(PROV + "Entity")),
        (ox.NamedNode(PROV + "specializationOf"), ox.NamedNode(record)),
        (ox.NamedNode(PROV + "generatedAtTime"), stamp),
        *([(ox.NamedNode(PROV + "wasDerivedFrom"), ox.NamedNode(submission))] if submission else []),
        *([(ox.NamedNode(PROV + "wasRevisionOf"), ox.NamedNode(revises))] if revises else []),
    ]
    transaction.add(ox.Quad(node, p, o, meta) for p, o in described)
    return version
