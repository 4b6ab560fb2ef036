"""Accounts for trusted submitters and moderators, kept in the staging store, never in the public one.

A token is 256 random bits, shown once when the account is made; only its SHA-256 hash is stored, so a copy
of the staging store gives no one a working token. Tokens are compared as hashes in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import pyoxigraph as ox

from graph.rdf.identity import Identity, UriClass
from graph.rdf.namespaces import STANDARD
from graph.rdf.query_text import iri
from graph.rdf.terms import Term, as_subject
from graph.store.interface import Store, StoreError
from graph.store.transaction import Transaction

ACCOUNTS_GRAPH = "data/accounts"


class Role(StrEnum):
    SUBMITTER = "submitter"
    MODERATOR = "moderator"


@dataclass(frozen=True)
class Account:
    name: str
    role: Role
    created: str
    revoked: str | None


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def accounts_query(identity: Identity) -> str:
    eco = identity.resolve("def/ecosystem/")
    return f"""SELECT ?account ?name ?role ?hash ?created ?revoked WHERE {{
  GRAPH {iri(identity.resolve(ACCOUNTS_GRAPH))} {{
    ?account a {iri(eco + "Account")} ; {iri(STANDARD["foaf"] + "accountName")} ?name ; {iri(eco + "accountRole")}
      ?role ;
        {iri(eco + "tokenHash")} ?hash ; {iri(STANDARD["dcterms"] + "created")} ?created .
    OPTIONAL {{ ?account {iri(eco + "revoked")} ?revoked }}
  }}
}} ORDER BY ?name"""


def authenticate(rows: Iterable[Mapping[str, Term]], token: str) -> tuple[str, Role] | None:
    """The account (IRI, role) whose token this is, if it exists and is not revoked."""
    presented = token_hash(token)
    found = None
    for row in rows:  # compare with every account, so the time taken says nothing about which matched
        if hmac.compare_digest(row["hash"].value, presented) and "revoked" not in row:
            found = (row["account"].value, Role(row["role"].value))
    return found


async def list_accounts(store: Store) -> list[Account]:
    rows = await store.solutions(accounts_query(Identity(store.base)))
    return [
        Account(
            row["name"].value,
            Role(row["role"].value),
            row["created"].value,
            row["revoked"].value if "revoked" in row else None,
        )
        for row in rows
    ]


async def add_account(store: Store, name: str, role: Role) -> str:
    """Make an account and return its token, which is never stored and cannot be shown again."""
    if any(a.name == name and a.revoked is None for a in await list_accounts(store)):
        raise StoreError(f"there is already an account called {name!r}: revoke it first to issue a new token")
    identity = Identity(store.base)
    eco = identity.resolve("def/ecosystem/")
    token = secrets.token_urlsafe(32)
    account = ox.NamedNode(identity.thing(UriClass.ACCOUNT, secrets.token_hex(8)))
    graph = ox.NamedNode(identity.resolve(ACCOUNTS_GRAPH))
    now = ox.Literal(
        datetime.now(UTC).isoformat(timespec="seconds"), datatype=ox.NamedNode(STANDARD["xsd"] + "dateTime")
    )
    described: list[tuple[ox.NamedNode, Term]] = [
        (ox.NamedNode(STANDARD["rdf"] + "type"), ox.NamedNode(eco + "Account")),
        (ox.NamedNode(STANDARD["foaf"] + "accountName"), ox.Literal(name)),
        (ox.NamedNode(eco + "accountRole"), ox.Literal(role.value)),
        (ox.NamedNode(eco + "tokenHash"), ox.Literal(token_hash(token))),
        (ox.NamedNode(STANDARD["dcterms"] + "created"), now),
    ]
    transaction = Transaction()
    transaction.add(ox.Quad(account, p, o, graph) for p, o in described)
    await store.commit(transaction)
    return token


async def revoke_account(store: Store, name: str) -> None:
    identity = Identity(store.base)
    rows = [
        row
        for row in await store.solutions(accounts_query(identity))
        if row["name"].value == name and "revoked" not in row
    ]
    if not rows:
        raise StoreError(f"there is no active account called {name!r}")
    eco = identity.resolve("def/ecosystem/")
    now = datetime.now(UTC).isoformat(timespec="seconds")
    transaction = Transaction()
    transaction.add(
        ox.Quad(
            as_subject(row["account"]),
            ox.NamedNode(eco + "revoked"),
            ox.Literal(now, datatype=ox.NamedNode(STANDARD["xsd"] + "dateTime")),
            ox.NamedNode(identity.resolve(ACCOUNTS_GRAPH)),
        )
        for row in rows
    )
    await store.commit(transaction)
