"""Small helpers shared by the tests."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import anyio
import httpx
import web

from graph.rdf.namespaces import prefixes
from graph.settings import DEFAULT_BASE_URI
from graph.store.embedded import EmbeddedStore
from graph.store.interface import Row, Store

PREFIXES = """@prefix eco: <def/ecosystem/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix adms: <http://www.w3.org/ns/adms#> .
"""
NEW_ORGANISATION = (
    PREFIXES
    + """
<id/organisation/cymru-data-co-op> a org:Organization ;
    skos:prefLabel "Cymru Data Co-op"@en, "Cydweithfa Data Cymru"@cy ;
    eco:organisationKind <def/organisation-kind/charity-or-non-profit> ;
    foaf:homepage <https://cymru-data.example/> ;
    eco:basedIn <id/place/W92000004> ;
    adms:identifier <id/identifier/GB-COH-{number}> ;
    dcterms:source <https://cymru-data.example/about> .
<id/identifier/GB-COH-{number}> a adms:Identifier ; skos:notation "{number}"^^<def/register/GB-COH> .
<id/activity/cymru-data-co-op-skills-bootcamp> a eco:Activity ;
    skos:prefLabel "Data skills bootcamp"@en ;
    eco:activityKind <def/activity-kind/programme> ;
    eco:runBy <id/organisation/cymru-data-co-op> ;
    eco:supports <def/nds-pillar/data-skills> ;
    dcterms:spatial <id/place/W92000004> ;
    dcterms:source <https://cymru-data.example/bootcamp> .
<id/relationship/cymru-data-co-op-member-of-odi> a eco:Relationship ;
    eco:fromOrganisation <id/organisation/cymru-data-co-op> ;
    eco:relationshipKind <def/relationship-kind/member-of> ;
    eco:toOrganisation <id/organisation/odi> ;
    dcterms:source <https://cymru-data.example/about> .
"""
)
TURTLE = {"Content-Type": "text/turtle"}

P = "<p:p>"
# Each construct Oxigraph's parser or evaluator recurses over, as a query holding n of it, with the smallest n seen to
# crash `oxigraph serve` (bench/query_depth.py measures them; bench/README.md has the figures).
DEEP_QUERIES: dict[str, tuple[Callable[[int], str], int]] = {
    "minus": (lambda n: "SELECT * WHERE { ?s ?p ?o " + "MINUS { ?s ?p ?o } " * n + "}", 937),
    "optional": (lambda n: "SELECT * WHERE { ?s ?p ?o " + "OPTIONAL { ?s ?p ?o } " * n + "}", 1687),
    "union": (lambda n: "SELECT * WHERE { " + " UNION ".join(["{ ?s ?p ?o }"] * n) + " }", 1687),
    "bind": (lambda n: "SELECT * WHERE { " + " ".join(f"BIND(1 AS ?v{i})" for i in range(n)) + " }", 1000),
    "sums": (lambda n: "SELECT * WHERE { ?s ?p ?o FILTER(" + "+".join(["?o"] * n) + " != 1) }", 1937),
    "products": (lambda n: "SELECT * WHERE { ?s ?p ?o FILTER(" + "*".join(["?o"] * n) + " != 1) }", 1937),
    "conditions": (lambda n: "SELECT * WHERE { ?s ?p ?o FILTER(" + "||".join(["?o = 1"] * n) + ") }", 3375),
    "path-steps": (lambda n: "SELECT * WHERE { ?s " + "/".join([P] * n) + " ?o }", 2000),
    "path-alternatives": (lambda n: "SELECT * WHERE { ?s " + "|".join([P] * n) + " ?o }", 4000),
    "chained-triples": (
        lambda n: "SELECT * WHERE { " + " ".join(f"?v{i} ?p{i} ?v{i + 1} ." for i in range(n)) + " }",
        843,
    ),
    "predicate-object-list": (
        lambda n: "SELECT * WHERE { ?s a ?t ; " + " ; ".join(f"?p{i} ?o{i}" for i in range(n)) + " }",
        984,
    ),
    "joined-groups": (lambda n: "SELECT * WHERE { " + "{ ?s ?p ?o } " * n + "}", 2000),
    "nested-calls": (lambda n: "SELECT * WHERE { FILTER(" + "STR(" * n + "1" + ")" * n + ") }", 250),
    "nested-groups": (lambda n: "SELECT * WHERE " + "{ " * n + "}" * n, 2187),
    "sub-selects": (lambda n: "SELECT * WHERE " + "{ SELECT * WHERE " * n + "{ ?s ?p ?o }" + " }" * n, 1000),
    "nested-exists": (lambda n: "SELECT * WHERE " + "{ ?s ?p ?o FILTER EXISTS " * n + "{ }" + " }" * n, 210),
    "nested-graphs": (lambda n: "SELECT * WHERE " + "{ GRAPH ?g " * n + "{ ?s ?p ?o }" + " }" * n, 1000),
    "nested-blank-nodes": (lambda n: "SELECT * WHERE { ?s ?p " + "[ ?p " * n + "?o" + " ]" * n + " }", 843),
    "described": (lambda n: "DESCRIBE " + " ".join(f"<http://x.example/{i}>" for i in range(n)), 1000),
    "select-expressions": (lambda n: "SELECT " + " ".join(f"(1 AS ?v{i})" for i in range(n)) + " WHERE { }", 1000),
    "joined-values": (lambda n: "SELECT * WHERE { " + " ".join(f"VALUES ?v{i} {{ 1 }}" for i in range(n)) + " }", 1000),
    "negations": (lambda n: "SELECT * WHERE { FILTER(" + "!(" * n + "true" + ")" * n + ") }", 1000),
}


def open_embedded(path: Path, base: str = DEFAULT_BASE_URI) -> EmbeddedStore:
    """An on-disk store in this process, as ``ecomap`` opens one."""
    return EmbeddedStore.open(path, base, prefixes(base))


def in_memory(base: str = DEFAULT_BASE_URI) -> EmbeddedStore:
    return EmbeddedStore.in_memory(base, prefixes(base))


def rows(store: Store, query: str) -> list[Row]:
    """A SELECT's rows, each with the terms bound in it."""
    return anyio.run(store.solutions, query)


def select(store: Store, query: str) -> list[dict[str, str]]:
    """A SELECT's rows as plain strings, unbound variables left out."""
    return [{name: term.value for name, term in row.items()} for row in rows(store, query)]


def ask(store: Store, query: str) -> bool:
    return anyio.run(store.ask, query)


def client_at(address: str) -> httpx.Client:
    """A client on another loopback address (127.0.0.2, …), so that ecomap sees another client: its fair use and
    penalties are its own."""
    return web.Client(transport=web.HTTPTransport(local_address=address), timeout=60)


# Each stored submission's private status link, by its (public) id, as the submitter was told it.
STATUS_LINKS: dict[str, str] = {}


def submit(server, body: str, headers=TURTLE, **params):
    sent = web.post(server.url + "/submissions", content=body.encode(), headers=headers, params=params)
    if sent.status_code == 201:
        STATUS_LINKS[sent.json()["id"]] = sent.json()["status_url"]
    return sent


def status_of(server, submission: str) -> dict[str, object]:
    """A submission's status, read at its private status link, as its submitter reads it. Patiently: after a worker is
    killed, a connection the kernel gives its socket waits for the worker that replaces it (api/listening.py)."""
    return web.get(server.url + STATUS_LINKS[submission], timeout=60).json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def pending(server, moderator_token: str) -> list[dict[str, object]]:
    """The pending submissions, as a moderator lists them."""
    listed = web.get(server.url + "/submissions", params={"status": "pending"}, headers=bearer(moderator_token))
    assert listed.status_code == 200
    return listed.json()["submissions"]


def logged(server, *request_ids: str) -> dict[str, dict]:
    """The access log's lines by request id, once those asked for are there: a worker writes a request's line
    just after its answer's last byte, so the client may read the log first."""
    deadline = time.monotonic() + 10
    while True:
        lines = (server.folder / "server.log").read_text().splitlines()
        found = {
            entry["request_id"]: entry for entry in map(json.loads, filter(lambda x: x.startswith('{"time"'), lines))
        }
        if all(request_id in found for request_id in request_ids) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)
