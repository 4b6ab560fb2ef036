"""Saved queries as an API: every file in queries/ answers at /queries/{name} with its parameters checked and
bound as RDF terms; each query's answer on the seed graph is what the seed's statements imply."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import anyio
import pyoxigraph as ox
import pytest
import rdflib
import web
from conftest import BASE, HOSTILE, SAME_OVER_EITHER, one_pass, one_pass_only
from helpers import SeedReading, in_memory, open_embedded, seed_census, seed_reading
from helpers import rows as solutions
from SPARQLWrapper import JSON, SPARQLWrapper

from graph.catalogue import ROOT
from graph.initialise import initialise
from graph.queries import QUERY_DIR, ParameterError, load_query
from graph.store.transaction import Transaction

pytestmark = one_pass("embedded", SAME_OVER_EITHER)

NAMES = sorted(path.stem for path in QUERY_DIR.glob("*.rq"))

UK, ENGLAND, SCOTLAND = "id/place/K02000001", "id/place/E92000001", "id/place/S92000003"
NORTH_WEST, EAST_MIDLANDS = "id/place/E12000002", "id/place/E12000004"
RISKS, INCENTIVES = "def/m1-principle/address-risks", "def/m1-principle/improve-incentives"
KNOWLEDGE, COSTS = "def/m1-principle/improve-knowledge", "def/m1-principle/reduce-costs"


def rows(server, name: str, **params: str) -> list[dict[str, str]]:
    """The saved query's answer as CSV rows, ecomap's IRIs shortened to their paths."""
    answer = web.get(f"{server.url}/queries/{name}", params={**params, "format": "csv"}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return [{k: v.removeprefix(BASE + "/") for k, v in row.items()} for row in csv.DictReader(io.StringIO(answer.text))]


def served_besides_the_seed() -> set[str]:
    """The organisations the test servers hold besides the seed's: conftest's hostile record, loaded after ``init``
    (initialise_stores). It has an English name, and no kind, place or activity."""
    data = rdflib.Dataset()
    data.parse(data=HOSTILE, format="trig", publicID=BASE + "/")
    organisation = rdflib.URIRef("http://www.w3.org/ns/org#Organization")
    return {str(q[0]).removeprefix(BASE + "/") for q in data.quads((None, rdflib.RDF.type, organisation, None))}


def pairs(found: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(r["organisation"], r["activity"]) for r in found}


def collaboration_network(seed: SeedReading, organisation: str, hops: int) -> set[tuple[str, str, str, str]]:
    """The links within ``hops`` of the organisation, read from the seed as the query's description defines them: a hop
    joins the two ends of a relationship, or two who lead, run, host or take part in the same activity; a link is a
    relationship between organisations (as it states them) or an activity two organisations take part in (each pair
    once); its distance is one more than the fewest hops from the organisation to one of its ends."""
    ties: defaultdict[str, set[str]] = defaultdict(set)
    for record, source in seed.graph.subject_objects(seed.eco("fromOrganisation")):
        for target in seed.objects(seed.path(record), seed.eco("toOrganisation")):
            ties[seed.path(source)].add(target)
            ties[target].add(seed.path(source))
    gathered: defaultdict[str, set[str]] = defaultdict(set)
    for role in seed.ROLES:
        for activity, who in seed.graph.subject_objects(seed.eco(role)):
            gathered[seed.path(activity)].add(seed.path(who))
    for group in gathered.values():
        for who in group:
            ties[who] |= group
    reached, frontier = {organisation: 0}, {organisation}
    for step in range(1, hops):
        frontier = {tied for who in frontier for tied in ties[who]} - reached.keys()
        reached |= dict.fromkeys(frontier, step)

    def named(who: str) -> bool:
        return who in seed.organisations and seed.named_in_english(who)

    def link(source: str, label: str, target: str) -> set[tuple[str, str, str, str]]:
        steps = [reached[end] for end in (source, target) if end in reached]
        return {(source, label, target, str(min(steps) + 1))} if steps else set()

    found = set()
    for relationship in seed_census(seed.base).relationships:
        relationship = seed.path(relationship)
        if any(seed.named_in_english(kind) for kind in seed.objects(relationship, seed.eco("relationshipKind"))):
            for source in filter(named, seed.objects(relationship, seed.eco("fromOrganisation"))):
                for target in filter(named, seed.objects(relationship, seed.eco("toOrganisation"))):
                    found |= link(source, relationship, target)
    for activity in filter(seed.named_in_english, seed.activities):
        together = sorted(filter(named, seed.role_holders(activity)))
        for i, source in enumerate(together):
            for target in together[i + 1 :]:
                found |= link(source, activity, target)
    return found


def who_supports_whom(seed: SeedReading) -> dict[str, tuple[str, str, set[str]]]:
    """Each relationship of the kinds supports, funds and commissioned by between two organisations with English names,
    read from the seed: (from, to, the sources it cites)."""
    kinds = {seed.iri(f"def/relationship-kind/{kind}") for kind in ("supports", "funds", "commissioned-by")}
    return {
        seed.path(relationship): (source, target, seed.objects(seed.path(relationship), rdflib.DCTERMS.source))
        for relationship, kind in seed.graph.subject_objects(seed.eco("relationshipKind"))
        if kind in kinds
        for source in seed.objects(seed.path(relationship), seed.eco("fromOrganisation"))
        for target in seed.objects(seed.path(relationship), seed.eco("toOrganisation"))
        if seed.named_in_english(source) and seed.named_in_english(target)
    }


def test_every_query_file_is_listed_and_documented_with_its_parameters(server):
    listed = web.get(server.url + "/queries").json()["queries"]
    assert [q["name"] for q in listed] == NAMES
    paths = web.get(server.url + "/openapi.json").json()["paths"]
    for name in NAMES:
        assert f"/queries/{name}" in paths
    network = paths["/queries/collaboration-network"]["get"]["parameters"]
    hops = next(p for p in network if p["name"] == "hops")
    assert hops["schema"] == {"type": "integer", "default": 2, "minimum": 1, "maximum": 3}
    page = web.get(server.url + "/queries", headers={"Accept": "text/html"})
    assert page.status_code == 200 and 'action="/queries/coverage-matrix"' in page.text
    assert web.get(server.url + "/queries", params={"format": "html"}).text == page.text
    assert web.get(server.url + "/queries", params={"format": "ttl"}).status_code == 406
    editor = web.get(server.url + "/sparql", headers={"Accept": "text/html"})
    assert "organisations-by-priority-area" in editor.text, "offered as examples in the query editor"


def test_organisations_by_priority_area_with_and_without_a_place(server):
    seed = seed_reading()
    risks = pairs(rows(server, "organisations-by-priority-area", area=RISKS))
    assert risks == seed.supporters(RISKS)
    assert {
        ("id/organisation/odi", "id/activity/odi-data-sharing-risk-guide"),
        ("id/organisation/odi", "id/activity/odi-data-institutions-event-2022-03-30"),
    } <= risks
    there = {
        place: pairs(rows(server, "organisations-by-priority-area", area=INCENTIVES, place=place))
        for place in (UK, ENGLAND, SCOTLAND, NORTH_WEST)
    }
    assert there == {place: seed.supporters(INCENTIVES, place) for place in there}
    workshop = ("id/organisation/dcms", "id/activity/manchester-connected-places-workshop")  # in Greater Manchester
    assert workshop in there[ENGLAND] and workshop in there[UK] and there[SCOTLAND] == set()
    assert workshop not in there[NORTH_WEST], "a combined authority is not placed in its region without a source"
    assert there[ENGLAND] < seed.supporters(INCENTIVES), "a place leaves out what happens elsewhere"
    anywhere = rows(server, "organisations-by-priority-area")
    foundations = "def/m1-priority-area/establish-foundations"
    assert anywhere == rows(server, "organisations-by-priority-area", area=foundations), "the default area"
    assert pairs(anywhere) == seed.supporters(foundations) != set()


def test_the_coverage_matrix_has_every_cell_zeros_included_and_what_was_collected_beside_it(server):
    """Each cell's counts are the seed's, read with rdflib as docs/where.md defines where things are."""
    seed = seed_reading()

    def as_the_seed_says(cell: dict[str, str]) -> dict[str, str]:
        supporting = seed.supporters(cell["concept"], cell["place"], named=False)
        collected = seed.records_placing_in(cell["place"])
        return {
            **cell,
            "organisations": str(len({organisation for organisation, _ in supporting})),
            "activities": str(len({activity for _, activity in supporting})),
            "records_collected": str(len(collected)),
            "last_reviewed": cell["last_reviewed"] if collected else "",
        }

    matrix = rows(server, "coverage-matrix", scheme="def/m1-principle")
    cells = {(r["concept"].rsplit("/", 1)[1], r["place"]): r for r in matrix}
    assert len(matrix) == len(cells) == 6 * 14  # six principles, by the UK, four nations, nine English regions
    assert [as_the_seed_says(cell) for cell in matrix] == matrix
    assert all(cell["last_reviewed"] for cell in matrix if cell["records_collected"] != "0")
    # DCMS's Mission 1 framework events are said to happen UK-wide, and support improve-knowledge: counted in England
    # too, England's cell would be one more than the seed's count.
    events = "id/activity/mission-1-policy-framework-events"
    assert seed.objects(events, rdflib.DCTERMS.spatial) == {UK} and events in seed.supporting(KNOWLEDGE)
    knowing = {place: {a for _, a in seed.supporters(KNOWLEDGE, place, named=False)} for place in (UK, ENGLAND)}
    assert events in knowing[UK] and events not in knowing[ENGLAND]
    uk_wide = cells[("improve-knowledge", UK)], cells[("improve-knowledge", ENGLAND)]
    assert [cell["activities"] for cell in uk_wide] == [str(len(knowing[UK])), str(len(knowing[ENGLAND]))], (
        "UK-wide counts for the UK only"
    )
    north_west, east_midlands = cells[("reduce-costs", NORTH_WEST)], cells[("reduce-costs", EAST_MIDLANDS)]
    assert not seed.supporters(COSTS, NORTH_WEST) and len(seed.records_placing_in(NORTH_WEST)) >= 3
    assert not seed.records_placing_in(EAST_MIDLANDS), "the seed places nothing in the East Midlands"
    assert north_west["organisations"] == east_midlands["organisations"] == "0"
    assert int(north_west["records_collected"]) >= 3 and north_west["last_reviewed"], (
        "a zero where records were collected"
    )
    assert (east_midlands["records_collected"], east_midlands["last_reviewed"]) == ("0", ""), (
        "a zero where nothing was collected"
    )
    areas = rows(server, "coverage-matrix")
    assert len(areas) == 2 * 14 and {r["concept"].rsplit("/", 1)[0] for r in areas} == {"def/m1-priority-area"}
    assert [as_the_seed_says(cell) for cell in areas] == areas


def test_the_collaboration_network_grows_hop_by_hop(server):
    def links(hops: str) -> set[tuple[str, str, str, str]]:
        found = rows(server, "collaboration-network", organisation="id/organisation/dcms", hops=hops)
        return {
            (r["from"].rsplit("/", 1)[1], r["link"].rsplit("/", 1)[1], r["to"].rsplit("/", 1)[1], r["distance"])
            for r in found
        }

    seed = seed_reading()
    network = {hops: links(str(hops)) for hops in (1, 2, 3)}
    assert network == {
        hops: {
            (source.rsplit("/", 1)[1], link.rsplit("/", 1)[1], target.rsplit("/", 1)[1], distance)
            for source, link, target, distance in collaboration_network(seed, "id/organisation/dcms", hops)
        }
        for hops in network
    }
    assert {
        ("dcms", "dcms-partner-in-nds-forum", "nds-forum", "1"),
        ("dcms", "nds-forum-data-value-challenge", "nds-forum", "1"),
        ("dcms", "dcms-collaborates-with-pwc-manchester-workshop", "pwc", "1"),
    } <= network[1]
    for hops in (2, 3):
        further = network[hops] - network[hops - 1]
        assert network[hops - 1] < network[hops] and {link[3] for link in further} == {str(hops)}, "hop by hop"
    assert ("techuk", "techuk-partner-in-nds-forum", "nds-forum", "2") in network[2]
    assert ("techuk", "techuk-supports-ndsi-team-mapping-pilot", "ndsi-team", "3") in network[3]


def test_the_other_questions_on_the_seed(server):
    seed = seed_reading()
    ranked = rows(server, "concepts-by-support", scheme="def/m1-principle")
    counts = [int(r["organisations"]) for r in ranked]
    assert counts == sorted(counts) and counts[0] == 0 and ranked[-1]["organisations"] != "0"
    assert counts == [len({o for o, _ in seed.supporters(r["concept"], named=False)}) for r in ranked]

    idle = {r["organisation"] for r in rows(server, "organisations-without-activity")}
    seed_idle = {o for o in seed.organisations if seed.named_in_english(o) and not seed.activities_of(o)}
    assert idle == seed_idle | served_besides_the_seed()
    # The Office for AI publishes the AI Strategy (strategies.trig) and takes part in no activity; the ODI runs some.
    assert "id/organisation/office-for-artificial-intelligence" in idle and "id/organisation/odi" not in idle

    supports = rows(server, "who-supports-whom")
    stated = who_supports_whom(seed)
    assert {r["relationship"]: (r["from"], r["to"]) for r in supports} == {r: (f, t) for r, (f, t, _) in stated.items()}
    assert {(f"id/organisation/{who}", "id/organisation/ndsi-team") for who in ("odi", "techuk", "royal-society")} <= {
        (r["from"], r["to"]) for r in supports
    }
    assert all(set(r["sources"].split(" | ")) == stated[r["relationship"]][2] != set() for r in supports), (
        "each with the sources that state it"
    )
    assert all(r["sources"].startswith(("https://", "http://")) for r in supports)

    data_institutions = "def/topic/data-institutions"
    topic = {r["activity"] for r in rows(server, "activities-by-topic", topic=data_institutions)}
    about = seed.subjects(rdflib.DCTERMS.subject, data_institutions) | seed.subjects(
        seed.eco("suggestedTopic"), data_institutions
    )
    assert topic == {a for a in about & seed.activities if seed.named_in_english(a)}
    assert "id/activity/odi-data-institutions-event-2022-03-30" in topic

    gaps = {r["organisation"]: r for r in rows(server, "quality-gaps")}
    assert gaps["id/organisation/ico"]["no_identifier"] == "true"
    assert "id/organisation/odi" not in gaps or gaps["id/organisation/odi"]["no_identifier"] == "false"

    sparql = SPARQLWrapper(server.url + "/sparql")
    sparql.setQuery("SELECT (COUNT(*) AS ?n) WHERE { GRAPH <data/metadata> { ?r a eco:Record } }")
    sparql.setReturnFormat(JSON)
    records = int(sparql.queryAndConvert()["results"]["bindings"][0]["n"]["value"])
    assert len(rows(server, "records-changed-since", since="2000-01-01")) == records
    assert rows(server, "records-changed-since", since="2999-01-01") == []


@pytest.mark.parametrize(
    ("name", "params", "says"),
    [
        ("collaboration-network", {"organisation": "x> } ; DROP ALL ; SELECT * { <y"}, "must be an IRI"),
        ("collaboration-network", {"hops": "2 } UNION { ?s ?p ?o"}, "whole number"),
        ("collaboration-network", {"hops": "9"}, "from 1 to 3"),
        ("records-changed-since", {"since": '2026-01-01"^^xsd:date) } #'}, "a date"),
        ("coverage-matrix", {"query": "SELECT * { ?s ?p ?o }"}, "takes no parameter query"),
    ],
)
def test_parameters_that_do_not_fit_their_type_are_refused_and_change_nothing(server, name, params, says):
    answer = web.get(f"{server.url}/queries/{name}", params={**params, "format": "csv"})
    assert answer.status_code == 400 and says in answer.text
    assert "Traceback" not in answer.text


def test_a_value_that_fits_its_type_is_one_term_whatever_it_holds(server):
    assert rows(server, "coverage-matrix", scheme="javascript:alert(1)") == []  # a relative IRI that names nothing
    assert rows(server, "coverage-matrix", scheme=" def/m1-principle ") == rows(
        server, "coverage-matrix", scheme="def/m1-principle"
    )


def test_the_answer_comes_in_the_sparql_result_formats(server):
    url = server.url + "/queries/who-supports-whom"
    as_json = web.get(url, params={"format": "json"})
    assert as_json.headers["content-type"].startswith("application/sparql-results+json")
    assert len(as_json.json()["results"]["bindings"]) == len(who_supports_whom(seed_reading()))
    tsv = web.get(url, headers={"Accept": "text/tab-separated-values"})
    assert tsv.text.startswith("?from\t")
    xml = web.get(url, headers={"Accept": "application/sparql-results+xml"})
    assert "<sparql" in xml.text
    assert web.get(url, headers={"Accept": "image/png"}).status_code == 406


@one_pass_only
def test_in_process_the_same_binding_reaches_the_ai_and_data_strategies_question(tmp_path: Path):
    """On a small fixture added to the seed: the ODI, whose activities support NDS concepts and no AI Strategy pillar,
    runs an activity that supports an AI Strategy pillar. The answers gain the ODI there, and nothing else."""
    store = open_embedded(tmp_path / "store")
    anyio.run(initialise, store)
    seed = seed_reading()
    odi_supports = {c for a in seed.activities_of("id/organisation/odi") for c in seed.supported_by(a)}
    assert {RISKS, "def/nds-pillar/responsible-data"} <= odi_supports  # the ODI risk guide's principle and NDS pillar
    in_scheme = {c: seed.objects(c, rdflib.SKOS.inScheme) for c in odi_supports}
    assert not any("def/ai-strategy-pillar" in schemes for schemes in in_scheme.values()), "no AI pillar in the seed"
    nds_schemes = {"def/nds-mission", "def/nds-pillar", "def/m1-priority-area", "def/m1-principle"}
    odi_nds = {c.rsplit("/", 1)[1] for c, schemes in in_scheme.items() if schemes & nds_schemes}
    query = load_query("organisations-in-both-strategies")
    meetings = load_query("strategy-meeting-points")

    def both() -> list[str]:
        return [row["organisation"].value for row in solutions(store, query.bound(query.terms({}, BASE)))]

    def met() -> dict[tuple[str, str], int]:
        return {
            (row["nds_concept"].value.rsplit("/", 1)[1], row["ai_concept"].value): int(row["organisations"].value)
            for row in solutions(store, meetings.bound({}))
        }

    before, met_before = both(), met()
    assert BASE + "/id/organisation/odi" not in before
    fixture = """@prefix eco: <def/ecosystem/> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
    <id/activity/fixture-ai-skills> a eco:Activity ; skos:prefLabel "Fixture AI skills"@en ;
        eco:runBy <id/organisation/odi> ; eco:supports ?pillar ."""
    pillar = solutions(store, "SELECT ?c WHERE { ?c skos:inScheme <def/ai-strategy-pillar> } LIMIT 1")[0]["c"]
    quads = ox.parse(fixture.replace("?pillar", str(pillar)).encode(), format=ox.RdfFormat.TURTLE, base_iri=BASE + "/")
    transaction = Transaction()
    transaction.add(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(BASE + "/data/fixture")) for q in quads)
    anyio.run(store.commit, transaction)
    assert sorted(both()) == sorted([*before, BASE + "/id/organisation/odi"])
    met_after = met()
    assert met_after.keys() == met_before.keys()
    gained = {cell: met_after[cell] - met_before[cell] for cell in met_after if met_after[cell] != met_before[cell]}
    assert gained == {(concept, pillar.value): 1 for concept in odi_nds}
    with pytest.raises(ParameterError):
        load_query("collaboration-network").terms({"hops": "0"}, BASE)


@one_pass_only
def test_the_coverage_matrix_places_an_activity_without_a_place_where_its_organisation_is(tmp_path: Path):
    """docs/where.md: where the activity happens, else where its organisation is based; never both. A fixture added to
    the seed: what it adds to each cell is where its two activities are counted."""
    store = open_embedded(tmp_path / "store")
    anyio.run(initialise, store)
    matrix = load_query("coverage-matrix")

    def cells() -> dict[tuple[str, str], int]:
        answer = solutions(store, matrix.bound(matrix.terms({"scheme": "def/m1-principle"}, BASE)))
        return {
            (row["concept"].value.rsplit("/", 1)[1], row["place_label"].value): int(row["activities"].value)
            for row in answer
        }

    before = cells()
    fixture = """@prefix eco: <def/ecosystem/> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
    @prefix org: <http://www.w3.org/ns/org#> . @prefix dcterms: <http://purl.org/dc/terms/> .
    <id/organisation/fixture-welsh> a org:Organization ; skos:prefLabel "Fixture Welsh"@en ;
        eco:basedIn <id/place/W92000004> .
    <id/activity/fixture-unplaced> a eco:Activity ; skos:prefLabel "Unplaced"@en ;
        eco:runBy <id/organisation/fixture-welsh> ; eco:supports <def/m1-principle/reduce-costs> .
    <id/activity/fixture-in-scotland> a eco:Activity ; skos:prefLabel "In Scotland"@en ;
        eco:runBy <id/organisation/fixture-welsh> ; eco:supports <def/m1-principle/address-risks> ;
        dcterms:spatial <id/place/S92000003> ."""
    quads = ox.parse(fixture.encode(), format=ox.RdfFormat.TURTLE, base_iri=BASE + "/")
    transaction = Transaction()
    transaction.add(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(BASE + "/data/fixture")) for q in quads)
    anyio.run(store.commit, transaction)
    after = cells()
    added = {cell: after[cell] - before[cell] for cell in after}
    assert added[("reduce-costs", "Wales")] == 1 and added[("reduce-costs", "Scotland")] == 0
    assert added[("address-risks", "Scotland")] == 1
    assert added[("address-risks", "Wales")] == 0, "an activity's own place wins over its organisation's"
    assert {cell for cell, more in added.items() if more} == {
        ("reduce-costs", "Wales"),
        ("reduce-costs", "United Kingdom"),
        ("address-risks", "Scotland"),
        ("address-risks", "United Kingdom"),
    }, "each counted where it is placed and in the places that lie around it, nowhere else"


def test_the_statistics_queries_agree_with_the_seed_and_the_lists(server):
    seed = seed_reading()
    nations = {r["nation"]: r for r in rows(server, "stats-by-nation")}
    labels = {r["label"] for r in nations.values()}
    assert labels == {"United Kingdom", "England", "Scotland", "Wales", "Northern Ireland"}
    # As the query's description counts them: organisations based or operating in a place within the nation, and
    # activities by the place they are said to happen in (dcterms:spatial); those that name no place count nowhere.
    organisations: defaultdict[str, set[str]] = defaultdict(set)
    for prop in (seed.eco("basedIn"), seed.eco("operatesIn")):
        for who, where in seed.graph.subject_objects(prop):
            for around in seed.lies_within(seed.path(where)):
                organisations[around].add(seed.path(who))
    activities: defaultdict[str, set[str]] = defaultdict(set)
    for activity in seed.activities:
        for where in seed.objects(activity, rdflib.DCTERMS.spatial):
            for around in seed.lies_within(where):
                activities[around].add(activity)
    assert {nation: (r["organisations"], r["activities"]) for nation, r in nations.items()} == {
        nation: (str(len(organisations[nation])), str(len(activities[nation]))) for nation in nations
    }
    things = {r["kind"]: int(r["count"]) for r in rows(server, "stats-things")}
    listed = web.get(server.url + "/organisations", params={"format": "json"}).json()["total"]
    assert things["organisations"] == listed == len(seed.organisations | served_besides_the_seed())
    kinds = {
        r["concept"].rsplit("/", 1)[1]: int(r["organisations"]) for r in rows(server, "stats-organisations-by-kind")
    }
    every_kind = {c.rsplit("/", 1)[1] for c in seed.subjects(rdflib.SKOS.inScheme, "def/organisation-kind")}
    assert kinds == {kind: seed_census().kinds.get(kind, 0) for kind in every_kind}, "every kind, zeros included"
    charities = web.get(server.url + "/organisations", params={"format": "json", "kind": "charity-or-non-profit"})
    assert kinds["charity-or-non-profit"] == charities.json()["total"]
    # Every kind has organisations in the seed now; on the kinds alone, each is listed with a zero.
    store = in_memory()
    vocabulary = ROOT / "ontology" / "vocabularies" / "organisation-kind.ttl"
    quads = ox.parse(vocabulary.read_bytes(), format=ox.RdfFormat.TURTLE, base_iri=BASE + "/")
    transaction = Transaction()
    transaction.add(
        ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(BASE + "/def/organisation-kind")) for q in quads
    )
    anyio.run(store.commit, transaction)
    by_kind = load_query("stats-organisations-by-kind")
    alone = {
        row["concept"].value.rsplit("/", 1)[1]: row["organisations"].value
        for row in solutions(store, by_kind.bound({}))
    }
    assert alone == dict.fromkeys(every_kind, "0"), "zeros are included"


@one_pass_only
def test_every_saved_query_is_exercised_by_a_test():
    """Each file in queries/ is named in a test (downloads by their file name), so none goes untested."""
    tests = "".join(path.read_text(encoding="utf-8") for path in Path(__file__).parent.glob("test_*.py"))
    untested = [
        name
        for name in NAMES
        if f'"{name}"' not in tests and not (name.startswith("download-") and name[9:] + ".csv" in tests)
    ]
    assert untested == []


def test_support_for_each_concept_counts_activities_judgements_and_organisations(server):
    seed = seed_reading()
    answer = rows(server, "stats-support-by-concept")
    support = {r["concept"]: (r["activities"], r["editorial"], r["organisations"]) for r in answer}

    def as_the_seed_says(concept: str) -> tuple[str, str, str]:
        activities = seed.supporting(concept)
        judged = {a for a in activities if seed.judged_to_support(a, concept)}
        organisations = {o for o, _ in seed.supporters(concept, named=False)}
        return str(len(activities)), str(len(judged)), str(len(organisations))

    schemes = ("m1-priority-area", "m1-principle", "nds-pillar", "nds-mission", "ai-strategy-pillar")
    every_concept = {c for scheme in schemes for c in seed.subjects(rdflib.SKOS.inScheme, f"def/{scheme}")}
    assert support == {concept: as_the_seed_says(concept) for concept in every_concept}
    # Among address-risks's: the ODI's guide and its event, both judged by an editor to support it.
    guide, event = "id/activity/odi-data-sharing-risk-guide", "id/activity/odi-data-institutions-event-2022-03-30"
    assert all(a in seed.supporting(RISKS) and seed.judged_to_support(a, RISKS) for a in (guide, event))
    # Among unlocking-the-value-of-data's: the challenge, run by DCMS with the NDS Forum.
    challenge = "id/activity/nds-forum-data-value-challenge"
    assert seed.role_holders(challenge) == {"id/organisation/dcms", "id/organisation/nds-forum"}
    assert challenge in seed.supporting("def/nds-mission/unlocking-the-value-of-data")
    burden = "def/m1-principle/reduce-regulatory-burden"  # no seed activity supports it
    assert not seed.supporting(burden) and support[burden][0] == "0", "zeros are included: they are the gaps"


NODE = shutil.which("node")
COMUNICA_RUN = Path(__file__).parent / "comunica_run.mjs"


def test_each_saved_query_as_published_runs_unchanged_in_comunica_with_the_same_rows(server):
    """The saved queries had no PREFIX or BASE lines and used relative IRIs: Jena ("Unresolved prefixed name") and
    Comunica ("Unknown prefix: org") refused them (issue 21). Each is published whole at /queries/{name}.rq; Comunica
    (from npm, a client that is not ecomap's) runs each as it is, and gets the rows /queries/{name} gives."""
    assert NODE, "make test installs Node's packages; node must be on the PATH"
    listed = web.get(server.url + "/queries", headers={"Accept": "application/json"}).json()["queries"]
    published = {}
    for query in listed:
        answer = web.get(server.url + query["query_url"])
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/sparql-query")
        assert answer.text.startswith("BASE <")
        published[query["name"]] = answer.text
    selects = {name: text for name, text in published.items() if not re.search(r"^\s*(CONSTRUCT|DESCRIBE)", text, re.M)}
    assert len(selects) >= 12
    run = subprocess.run(
        [NODE, str(COMUNICA_RUN)],
        input=json.dumps({"endpoint": server.url + "/sparql", "queries": selects}),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    through_comunica = json.loads(run.stdout)
    for name in selects:
        rows = through_comunica[name]
        assert not isinstance(rows, dict), (name, rows)
        ours = web.get(server.url + f"/queries/{name}", params={"format": "json"}).json()["results"]["bindings"]
        expected = sorted(json.dumps({k: v["value"] for k, v in row.items()}, sort_keys=True) for row in ours)
        assert sorted(json.dumps(row, sort_keys=True) for row in rows) == expected, name
