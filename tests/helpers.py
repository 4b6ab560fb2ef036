"""Small helpers shared by the tests."""

from __future__ import annotations

import gc
import json
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path

import anyio
import httpx
import rdflib
import web

from graph.catalogue import ROOT, seed_files
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


@dataclass(frozen=True)
class SeedCensus:
    """What the seed files hold, counted here with rdflib straight from ``graph/seed/*.trig``: the oracle that counts on
    pages, in ``ecomap stats`` and in lists are checked against, so that they follow the map as it grows."""

    records: int
    organisations: frozenset[str]
    activities: frozenset[str]
    relationships: frozenset[str]
    kinds: dict[str, int]  # organisations by the key of each kind they have
    based_or_working_in: dict[str, int]  # organisations by the GSS code of a place they are based or work in


@cache
def seed_census(base: str = DEFAULT_BASE_URI) -> SeedCensus:
    data, everything = seed_dataset(base), seed_graph(base)
    ontology = rdflib.Graph().parse(ROOT / "ontology" / "ecosystem.ttl", publicID=base + "/")
    w3org = rdflib.Namespace("http://www.w3.org/ns/org#")
    eco = rdflib.Namespace(base + "/def/ecosystem/")
    organisation_classes = (
        {w3org.Organization, w3org.FormalOrganization, w3org.OrganizationalUnit}
        | {c for c in ontology.transitive_subjects(rdflib.RDFS.subClassOf, w3org.Organization)}
        | {rdflib.URIRef("http://www.w3.org/ns/regorg#RegisteredOrganization")}
    )
    organisations = {str(s) for c in organisation_classes for s in everything.subjects(rdflib.RDF.type, c)}
    kinds: dict[str, int] = {}
    places: dict[str, int] = {}
    for organisation in organisations:
        for kind in everything.objects(rdflib.URIRef(organisation), eco.organisationKind):
            kinds[str(kind).rsplit("/", 1)[1]] = kinds.get(str(kind).rsplit("/", 1)[1], 0) + 1
        found = {
            str(p).rsplit("/", 1)[1]
            for prop in (eco.basedIn, eco.operatesIn)
            for p in everything.objects(rdflib.URIRef(organisation), prop)
        }
        for code in found:
            places[code] = places.get(code, 0) + 1
    return SeedCensus(
        records=len({str(g.identifier) for g in data.graphs() if str(g.identifier).startswith(base + "/data/")}),
        organisations=frozenset(organisations),
        activities=frozenset(str(s) for s in everything.subjects(rdflib.RDF.type, eco.Activity)),
        relationships=frozenset(str(s) for s in everything.subjects(rdflib.RDF.type, eco.Relationship)),
        kinds=kinds,
        based_or_working_in=places,
    )


@dataclass(frozen=True)
class SeedReading:
    """The seed's statements read with rdflib and plain Python, no SPARQL: the oracle that the saved queries' answers
    on the seed are checked against, so that those tests follow the seed as it grows without taking the queries' word
    for it. Where things are is read as docs/where.md defines it. Things are named by their IRI's path relative to the
    base (``id/organisation/odi``), as the saved-query tests shorten the answers'."""

    graph: rdflib.Graph  # every statement of graph/seed/*.trig, with the places (graph/reference/places.ttl) and the
    # concepts (ontology/vocabularies) they name
    base: str
    placed_by_record: dict[str, frozenset[str]]  # each record graph with the places it says something is based in,
    # operates in or happens in

    ROLES = ("ledBy", "runBy", "hostedBy", "participant")  # lead, run, host or take part in an activity

    def iri(self, path: str) -> rdflib.URIRef:
        return rdflib.URIRef(f"{self.base}/{path}")

    def path(self, iri: rdflib.term.Node) -> str:
        return str(iri).removeprefix(self.base + "/")

    def eco(self, name: str) -> rdflib.URIRef:
        return self.iri("def/ecosystem/" + name)

    def objects(self, thing: str, prop: rdflib.URIRef) -> set[str]:
        return {self.path(o) for o in self.graph.objects(self.iri(thing), prop)}

    def subjects(self, prop: rdflib.URIRef, value: str) -> set[str]:
        return {self.path(s) for s in self.graph.subjects(prop, self.iri(value))}

    def named_in_english(self, thing: str) -> bool:
        return any(
            getattr(label, "language", None) == "en" for label in self.graph.objects(self.iri(thing), SKOS_LABEL)
        )

    @cached_property
    def organisations(self) -> frozenset[str]:
        return frozenset(self.path(o) for o in seed_census(self.base).organisations)

    @cached_property
    def activities(self) -> frozenset[str]:
        return frozenset(self.path(a) for a in seed_census(self.base).activities)

    def role_holders(self, activity: str) -> set[str]:
        """Who leads, runs, hosts or takes part in the activity: organisations, and people."""
        return {who for role in self.ROLES for who in self.objects(activity, self.eco(role))}

    def activities_of(self, who: str) -> set[str]:
        return {activity for role in self.ROLES for activity in self.subjects(self.eco(role), who)}

    def supporting(self, concept: str) -> set[str]:
        """The activities that support the concept (eco:supports), from a source's words or an editor's judgement."""
        return self.subjects(self.eco("supports"), concept) & self.activities

    def supported_by(self, activity: str) -> set[str]:
        return self.objects(activity, self.eco("supports"))

    def judged_to_support(self, activity: str, concept: str) -> bool:
        """Whether an editorial judgement (a reified statement) says that the activity supports the concept."""
        return any(
            (judgement, rdflib.RDF.predicate, self.eco("supports")) in self.graph
            and (judgement, rdflib.RDF.object, self.iri(concept)) in self.graph
            for judgement in self.graph.subjects(rdflib.RDF.subject, self.iri(activity))
            if (judgement, rdflib.RDF.type, self.eco("EditorialJudgement")) in self.graph
        )

    def places_of(self, activity: str, organisation: str) -> set[str]:
        """docs/where.md, 1: where the activity happens, as the organisation's part in it is placed: where the
        activity's record says it happens, else where that organisation is based or operates (an activity that names
        no place, run by a London charity with a Welsh partner, is the charity's in London and the partner's in
        Wales)."""
        said = self.objects(activity, rdflib.DCTERMS.spatial)
        return said or {p for prop in ("basedIn", "operatesIn") for p in self.objects(organisation, self.eco(prop))}

    def lies_within(self, place: str) -> set[str]:
        """docs/where.md, 2: the place and every place it lies within, following geo:sfWithin any number of steps."""
        return {self.path(p) for p in self.graph.transitive_objects(self.iri(place), GEO_WITHIN)}

    def records_placing_in(self, place: str) -> set[str]:
        """docs/where.md, 5: the records that place something (based, operating or happening) in the place or in a
        place within it."""
        return {
            record
            for record, places in self.placed_by_record.items()
            if any(place in self.lies_within(at) for at in places)
        }

    def happens_in(self, activity: str, organisation: str, place: str) -> bool:
        return any(place in self.lies_within(at) for at in self.places_of(activity, organisation))

    def supporters(self, concept: str, place: str | None = None, *, named: bool = True) -> set[tuple[str, str]]:
        """(organisation, activity) for each organisation that leads, runs, hosts or takes part in an activity that
        supports the concept (docs/where.md, 4), there if a place is given; only those with an English name, unless
        ``named`` is false."""
        return {
            (organisation, activity)
            for activity in self.supporting(concept)
            if not named or self.named_in_english(activity)
            for organisation in self.role_holders(activity) & self.organisations
            if (not named or self.named_in_english(organisation))
            and (place is None or self.happens_in(activity, organisation, place))
        }


SKOS_LABEL = rdflib.SKOS.prefLabel
GEO_WITHIN = rdflib.URIRef("http://www.opengis.net/ont/geosparql#sfWithin")


@cache
def seed_reading(base: str = DEFAULT_BASE_URI) -> SeedReading:
    data = seed_dataset(base)
    everything = rdflib.Graph()
    everything += seed_graph(base)  # a copy: the places and concepts added here stay out of seed_graph's
    for reference in (
        ROOT / "graph" / "reference" / "places.ttl",
        *sorted((ROOT / "ontology" / "vocabularies").glob("*.ttl")),
    ):
        everything.parse(reference, publicID=base + "/")
    placing = {rdflib.URIRef(f"{base}/def/ecosystem/{p}") for p in ("basedIn", "operatesIn")} | {rdflib.DCTERMS.spatial}
    placed = {
        str(record.identifier).removeprefix(base + "/"): frozenset(
            str(o).removeprefix(base + "/") for s, p, o in record if p in placing
        )
        for record in data.graphs()
        if str(record.identifier).startswith(base + "/data/")
    }
    return SeedReading(everything, base, placed)


@cache
def seed_graph(base: str = DEFAULT_BASE_URI) -> rdflib.Graph:
    """Every statement of ``graph/seed/*.trig``, read with rdflib into one graph whatever its record: the oracle for
    what the census does not count (names, labels, what links to what)."""
    everything = rdflib.Graph()
    for quad in seed_dataset(base).quads((None, None, None, None)):
        everything.add(quad[:3])
    return everything


@cache
def seed_dataset(base: str = DEFAULT_BASE_URI) -> rdflib.Dataset:
    """``graph/seed/*.trig`` read once per test process, with its record graphs, for every oracle here."""
    data = rdflib.Dataset()
    for path in seed_files():
        data.parse(path, format="trig", publicID=base + "/")
    return data


def seed_names(things: frozenset[str], base: str = DEFAULT_BASE_URI) -> dict[str, list[str]]:
    """Each of ``things`` (IRIs) with its names in the seed files: its preferred and other labels, in any language."""
    everything = seed_graph(base)
    return {
        thing: [
            str(label)
            for kind in (rdflib.SKOS.prefLabel, rdflib.SKOS.altLabel)
            for label in everything.objects(rdflib.URIRef(thing), kind)
        ]
        for thing in things
    }


def kept_copy(url: str, headers: dict[str, str]) -> httpx.Response:
    """The answer asked for again once its copy is kept: the copy is written just after the first answer ends, so a
    client quick enough can ask again before it is there."""
    deadline = time.monotonic() + 5
    again = web.get(url, headers=headers)
    while again.headers.get("ecomap-cache") != "hit" and time.monotonic() < deadline:
        time.sleep(0.02)
        again = web.get(url, headers=headers)
    return again


def dropped_elsewhere(action: Callable[[], object]) -> list[str]:
    """What Python could not raise while ``action`` ran and its anyio worker threads ended (an object that raised as it
    was dropped, such as a pyoxigraph result dropped on a thread other than its own), with every cycle collected."""
    seen: list[str] = []
    hook, sys.unraisablehook = sys.unraisablehook, lambda unraisable: seen.append(str(unraisable.exc_value))
    try:
        before = _anyio_workers()  # those of other loops, such as an app served on a thread for the session
        action()
        # Waited for by their idents, not held: a thread's object, and what it holds, is dropped by the thread as it
        # ends unless another holds it then.
        deadline = time.monotonic() + 30
        while _anyio_workers() - before:
            assert time.monotonic() < deadline, "the action's anyio worker threads did not end"
            time.sleep(0.01)
        gc.collect()
    finally:
        sys.unraisablehook = hook
    return seen


def _anyio_workers() -> set[int | None]:
    return {thread.ident for thread in threading.enumerate() if thread.name == "AnyIO worker thread"}
