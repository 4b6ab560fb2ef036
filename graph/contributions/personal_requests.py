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
  GRAPH <{identity.metadata_graph}> {{
    ?request a <{eco}PersonalDataRequest> ; <{eco}status> <{_status(identity, status).value}> ;
        <{eco}requestAbout> ?person ; <{eco}requestKind> ?kind ; <{eco}requestDetails> ?details ;
        <{eco}contactEmail> ?contact ; <{dcterms}created> ?created .
    OPTIONAL {{ ?request <{eco}decisionReason> ?answer }}
  }}
}} ORDER BY ?created"""


def status_query(identity: Identity, request_id: str) -> str:
    """The status of one request: none if there is no such request."""
    eco = identity.resolve("def/ecosystem/")
    request = identity.thing(UriClass.REQUEST, request_id)
    return f"""SELECT ?status WHERE {{ GRAPH <{identity.metadata_graph}> {{
  <{request}> a <{eco}PersonalDataRequest> ; <{eco}status> ?status }} }}"""


def answer_update(identity: Identity, request_id: str, moderator: str, answer: str) -> str:
    """Mark a pending request answered, by whom, when and with what answer; a request already answered is left
    as it is (the update matches nothing)."""
    eco = identity.resolve("def/ecosystem/")
    request = identity.thing(UriClass.REQUEST, request_id)
    pending, answered = _status(identity, RequestStatus.PENDING), _status(identity, RequestStatus.ANSWERED)
    meta = identity.metadata_graph
    return f"""DELETE {{ GRAPH <{meta}> {{ <{request}> <{eco}status> {pending} }} }}
INSERT {{ GRAPH <{meta}> {{ <{request}> <{eco}status> {answered} ; <{eco}decidedBy> <{moderator}> ;
    <{eco}decisionReason> {ox.Literal(answer)} ; <{STANDARD["dcterms"]}modified> {_now()} }} }}
WHERE {{ GRAPH <{meta}> {{ <{request}> a <{eco}PersonalDataRequest> ; <{eco}status> {pending} }} }}"""
