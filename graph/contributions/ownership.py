"""Which record each subject belongs to, so that a record states things only about its own subjects.

A record is one named graph (``{base}/data/{class}/{key}``); its subjects are its primary topic and the things minted
inside it: an organisation's activities, registry identifiers, posts, editorial judgements and changes, blank nodes,
and the pages it cites that it describes. Every subject on the map belongs to one record, or to the map's reference
data (the ontology, vocabularies and shapes under ``/def/``, places, sources, and the metadata), which no
submission may touch. Queries read every graph together, so a statement in one record about another record's
subject would show on that record's pages; a submission's statements are therefore sorted by who owns their
subject (``graph.contributions.submissions.split_into_records``), and ``ecomap check`` reports any that stand in the
wrong record.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import pyoxigraph as ox

from graph.rdf.identity import Identity, UriClass
from graph.rdf.query_text import iri_batches

# The classes whose things are the topic of a record of their own (an activity is one only when no organisation's
# record holds it), and those of the things minted inside a record.
RECORD_TOPICS = {UriClass.ORGANISATION, UriClass.PERSON, UriClass.RELATIONSHIP, UriClass.STRATEGY, UriClass.ACTIVITY}
MINTED_INSIDE = {UriClass.ACTIVITY, UriClass.IDENTIFIER, UriClass.JUDGEMENT, UriClass.POST, UriClass.CHANGE}
# What each part of the reference data is, in the words of an error message.
RESERVED_SPACES = {
    "def": "part of ecomap's ontology, vocabularies or shapes",
    "data": "one of ecomap's graphs or their metadata",
    "doc": "a page of ecomap's",
}
RESERVED_CLASSES = {
    UriClass.PLACE: "a place from ecomap's reference data",
    UriClass.DATASET: "ecomap's description of itself",
    UriClass.SUBMISSION: "a submission",
    UriClass.REQUEST: "a person's request",
    UriClass.ACCOUNT: "an account",
}


@dataclass(frozen=True)
class Owners:
    """The subjects already on the public map that a submission names: the record graph each belongs to, and those
    that the reference data describes (with the graph that does)."""

    records: Mapping[str, str] = field(default_factory=dict)
    reference: Mapping[str, str] = field(default_factory=dict)


def owners_queries(subjects: Iterable[str]) -> list[str]:
    """Where each of these IRIs is a subject in the public store (none to send if there are none to look for)."""
    return [
        f"SELECT DISTINCT ?s ?g WHERE {{ VALUES ?s {{ {block} }} GRAPH ?g {{ ?s ?p ?o }} }}"
        for block in iri_batches(subjects)
    ]


def owners(rows: Iterable[Mapping[str, ox.NamedNode | ox.BlankNode | ox.Literal]], identity: Identity) -> Owners:
    """The answers to ``owners_queries``: a record graph for each subject, or the reference graph that describes it."""
    records: dict[str, str] = {}
    reference: dict[str, str] = {}
    for row in rows:
        subject, graph = row["s"].value, row["g"].value
        if identity.topic_of_record(graph) is not None:
            records.setdefault(subject, graph)
        else:
            reference.setdefault(subject, graph)
    return Owners(records, reference)


def reserved(subject: ox.NamedNode | ox.BlankNode, identity: Identity, described_by: str | None = None) -> str | None:
    """Why no submission may state things about ``subject`` (in words), or ``None`` if one may; ``described_by`` is
    the reference graph that describes it, if any does."""
    if not isinstance(subject, ox.NamedNode):
        return None
    if described_by is not None:
        return f"described by ecomap's reference data (<{described_by}>)"
    prefix = identity.base + "/"
    if not subject.value.startswith(prefix):
        return None
    space, _, rest = subject.value[len(prefix) :].partition("/")
    if space in RESERVED_SPACES:
        return RESERVED_SPACES[space]
    uri_class = rest.partition("/")[0]
    if space == "id" and uri_class in RESERVED_CLASSES:
        return RESERVED_CLASSES[UriClass(uri_class)]
    return None


def record_topic(subject: ox.NamedNode | ox.BlankNode, identity: Identity) -> str | None:
    """The record graph ``subject`` is the topic of, if it is an ecomap IRI of a class that heads a record."""
    if not isinstance(subject, ox.NamedNode):
        return None
    ref = identity.parse(subject.value)
    if ref is None or ref.space != "id" or ref.uri_class not in RECORD_TOPICS:
        return None
    return identity.record_graph(ref.uri_class, ref.key)


def mintable(subject: ox.NamedNode | ox.BlankNode, identity: Identity) -> bool:
    """Whether ``subject`` may be minted inside a record: a blank node, a page outside ecomap, or an ecomap IRI of a
    thing that lives in a record (an activity, identifier, post, judgement or change)."""
    if not isinstance(subject, ox.NamedNode) or not subject.value.startswith(identity.base + "/"):
        return True
    ref = identity.parse(subject.value)
    return ref is not None and ref.space == "id" and ref.uri_class in MINTED_INSIDE


@dataclass(frozen=True)
class Misplaced:
    """Statements that stand where they do not belong: what is wrong (a record graph; or a subject several records
    hold), their subject, and why."""

    about: str
    subject: str
    reason: str


def misplaced(quads: Iterable[ox.Quad], identity: Identity) -> list[Misplaced]:
    """Every subject that a record graph of the public store states things about but does not own: one the reference
    data describes or keeps (the ontology, a place…), or the topic of a record of its own; and every subject that
    several records hold."""
    graphs: defaultdict[str, set[str]] = defaultdict(set)
    for quad in quads:
        if isinstance(quad.graph_name, ox.NamedNode) and isinstance(quad.subject, ox.NamedNode):
            graphs[quad.subject.value].add(quad.graph_name.value)
    found = []
    for subject, where in sorted(graphs.items()):
        records = sorted(g for g in where if identity.topic_of_record(g) is not None)
        if not records:
            continue
        node = ox.NamedNode(subject)
        why = reserved(node, identity, min(where - set(records), default=None))
        own = record_topic(node, identity)
        if why is not None:
            found += [Misplaced(g, subject, f"states things about <{subject}>, which is {why}") for g in records]
        elif own is not None and (own in records or not mintable(node, identity)):
            found += [
                Misplaced(g, subject, f"states things about <{subject}>, the topic of <{own}>")
                for g in records
                if g != own
            ]
        elif len(records) > 1:
            held = ", ".join(f"<{g}>" for g in records)
            found.append(Misplaced(subject, subject, f"is a subject of several records ({held}), not one"))
    return found
