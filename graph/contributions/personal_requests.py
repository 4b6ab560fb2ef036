"""A named person's request to have their details corrected or removed (UK GDPR rights to rectification and
erasure). It is kept in the staging store only, with the person's contact address, until a moderator answers
it; the answer (a correction through a submission, or ``redact``) is the moderator's to carry out."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from enum import StrEnum

import pyoxigraph as ox

from graph.rdf.identity import Identity, UriClass
from graph.rdf.namespaces import STANDARD
from graph.rdf.query_text import iri
from graph.rdf.terms import Term
from graph.store.transaction import Transaction

MAX_DETAILS = 5000


class RequestKind(StrEnum):
    CORRECT = "correct"
    REMOVE = "remove"


class RequestStatus(StrEnum):
    PENDING = "pending"
    ANSWERED = "answered"


def new_request_id() -> str:
    return secrets.token_hex(16)  # a valid key: letters and digits only


def _now() -> ox.Literal:
    return ox.Literal(
        datetime.now(UTC).isoformat(timespec="seconds"), datatype=ox.NamedNode(STANDARD["xsd"] + "dateTime")
    )


def _status(identity: Identity, status: RequestStatus) -> ox.NamedNode:
    return ox.NamedNode(identity.resolve(f"def/record-status/{status}"))


def request_transaction(
    identity: Identity, request_id: str, person: str, kind: RequestKind, details: str, contact: str
) -> Transaction:
    """Keep a new request, pending, in the staging store's metadata graph."""
    eco = identity.resolve("def/ecosystem/")
    request = ox.NamedNode(identity.thing(UriClass.REQUEST, request_id))
    described: list[tuple[ox.NamedNode, Term]] = [
        (ox.NamedNode(STANDARD["rdf"] + "type"), ox.NamedNode(eco + "PersonalDataRequest")),
        (ox.NamedNode(eco + "requestAbout"), ox.NamedNode(person)),
        (ox.NamedNode(eco + "requestKind"), ox.Literal(str(kind))),
        (ox.NamedNode(eco + "requestDetails"), ox.Literal(details[:MAX_DETAILS])),
        (ox.NamedNode(eco + "contactEmail"), ox.Literal(contact)),
        (ox.NamedNode(eco + "status"), _status(identity, RequestStatus.PENDING)),
        (ox.NamedNode(STANDARD["dcterms"] + "created"), _now()),
    ]
    transaction = Transaction()
    meta = ox.NamedNode(identity.metadata_graph)
    transaction.add(ox.Quad(request, p, o, meta) for p, o in described)
    return transaction


def requests_query(identity: Identity, status: RequestStatus) -> str:
    """Requests with ``status``, oldest first, with everything a moderator needs to answer them."""
    eco = identity.resolve("def/ecosystem/")
    dcterms = STANDARD["dcterms"]
    return f"""SELECT ?request ?person ?kind ?details ?contact ?created ?answer WHERE {{
  GRAPH {iri(identity.metadata_graph)} {{
    ?request a {iri(eco + "PersonalDataRequest")} ; {iri(eco + "status")} {iri(_status(identity, status).value)} ;
        {iri(eco + "requestAbout")} ?person ; {iri(eco + "requestKind")} ?kind ; {iri(eco + "requestDetails")}
          ?details ;
        {iri(eco + "contactEmail")} ?contact ; {iri(dcterms + "created")} ?created .
    OPTIONAL {{ ?request {iri(eco + "decisionReason")} ?answer }}
  }}
}} ORDER BY ?created"""


def status_query(identity: Identity, request_id: str) -> str:
    """The status of one request: none if there is no such request."""
    eco = identity.resolve("def/ecosystem/")
    request = identity.thing(UriClass.REQUEST, request_id)
    return f"""SELECT ?status WHERE {{ GRAPH {iri(identity.metadata_graph)} {{
  {iri(request)} a {iri(eco + "PersonalDataRequest")} ; {iri(eco + "status")} ?status }} }}"""


def answer_update(identity: Identity, request_id: str, moderator: str, answer: str) -> str:
    """Mark a pending request answered, by whom, when and with what answer; a request already answered is left
    as it is (the update matches nothing)."""
    eco = identity.resolve("def/ecosystem/")
    request = identity.thing(UriClass.REQUEST, request_id)
    pending, answered = _status(identity, RequestStatus.PENDING), _status(identity, RequestStatus.ANSWERED)
    meta = identity.metadata_graph
    return f"""DELETE {{ GRAPH {iri(meta)} {{ {iri(request)} {iri(eco + "status")} {pending} }} }}
INSERT {{ GRAPH {iri(meta)} {{ {iri(request)} {iri(eco + "status")} {answered} ; {iri(eco + "decidedBy")}
  {iri(moderator)} ;
    {iri(eco + "decisionReason")} {ox.Literal(answer)} ; {iri(STANDARD["dcterms"] + "modified")} {_now()} }} }}
WHERE {{ GRAPH {iri(meta)} {{ {iri(request)} a {iri(eco + "PersonalDataRequest")} ; {iri(eco + "status")} {pending}
  }} }}"""
