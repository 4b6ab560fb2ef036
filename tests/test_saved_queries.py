"""Saved queries as an API: every file in queries/ answers at /queries/{name} with its parameters checked and
bound as RDF terms; each query's answer on the seed graph is what the seed's statements imply."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import anyio
import pyoxigraph as ox
import pytest
import web
from conftest import BASE, SAME_OVER_EITHER, one_pass, one_pass_only
from helpers import open_embedded
from helpers import rows as solutions
from SPARQLWrapper import JSON, SPARQLWrapper

from graph.initialise import initialise
from graph.queries import QUERY_DIR, ParameterError, load_query
from graph.store.transaction import Transaction

pytestmark = one_pass("embedded", SAME_OVER_EITHER)

NAMES = sorted(path.stem for path in QUERY_DIR.glob("*.rq"))


def rows(server, name: str, **params: str) -> list[dict[str, str]]:
    """The saved query's answer as CSV rows, ecomap's IRIs shortened to their paths."""
    answer = web.get(f"{server.url}/queries/{name}", params={**params, "format": "csv"}, timeout=30)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    return [{k: v.removeprefix(BASE + "/") for k, v in row.items()} for row in csv.DictReader(io.StringIO(answer.text))]


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
    risks = rows(server, "organisations-by-priority-area", area="def/m1-principle/address-risks")
    assert {(r["organisation"], r["activity"]) for r in risks} == {
        ("id/organisation/odi", "id/activity/odi-data-sharing-risk-guide"),
        ("id/organisation/odi", "id/activity/odi-data-institutions-event-2022-03-30"),
    }
    incentives = "def/m1-principle/improve-incentives"  # the Manchester workshop, in Greater Manchester
    england = rows(server, "organisations-by-priority-area", area=incentives, place="id/place/E92000001")
    assert [r["organisation"] for r in england] == ["id/organisation/dcms"]
    assert rows(server, "organisations-by-priority-area", area=incentives, place="id/place/S92000003") == []
    assert rows(server, "organisations-by-priority-area", area=incentives, place="id/place/E12000002") == [], (
        "a combined authority is not placed in its region without a source"
    )
    assert rows(server, "organisations-by-priority-area") == [], "no seed activity supports a priority area yet"


def test_the_coverage_matrix_has_every_cell_zeros_included_and_what_was_collected_beside_it(server):
    matrix = rows(server, "coverage-matrix", scheme="def/m1-principle")
    cells = {(r["concept"].rsplit("/", 1)[1], r["place_label"]): r for r in matrix}
    assert len(matrix) == len(cells) == 6 * 14  # six principles, by the UK, four nations, nine English regions
    assert cells[("improve-incentives", "England")]["organisations"] == "1"
    assert cells[("improve-incentives", "United Kingdom")]["organisations"] == "1"
    assert cells[("improve-incentives", "North West")]["organisations"] == "0"
    uk_wide = cells[("improve-knowledge", "United Kingdom")], cells[("improve-knowledge", "England")]
    assert (uk_wide[0]["activities"], uk_wide[1]["activities"]) == ("1", "0"), "UK-wide counts for the UK only"
    london, wales = cells[("reduce-costs", "London")], cells[("reduce-costs", "Wales")]
    assert london["organisations"] == wales["organisations"] == "0"
    assert int(london["records_collected"]) >= 4 and london["last_reviewed"], "a zero where records were collected"
    assert (wales["records_collected"], wales["last_reviewed"]) == ("0", ""), "a zero where nothing was collected"
    areas = rows(server, "coverage-matrix")
    assert len(areas) == 2 * 14 and {r["organisations"] for r in areas} == {"0"}


def test_the_collaboration_network_grows_hop_by_hop(server):
    def links(hops: str) -> set[tuple[str, str, str, str]]:
        found = rows(server, "collaboration-network", organisation="id/organisation/dcms", hops=hops)
        return {
            (r["from"].rsplit("/", 1)[1], r["link"].rsplit("/", 1)[1], r["to"].rsplit("/", 1)[1], r["distance"])
            for r in found
        }

    one = {
        ("dcms", "dcms-partner-in-nds-forum", "nds-forum", "1"),
        ("dcms", "nds-forum-data-value-challenge", "nds-forum", "1"),
        ("dcms", "dcms-collaborates-with-pwc-manchester-workshop", "pwc", "1"),
    }
    assert links("1") == one
    assert links("2") == one | {("techuk", "techuk-partner-in-nds-forum", "nds-forum", "2")}
    assert links("3") == links("2") | {("techuk", "techuk-supports-ndsi-team-mapping-pilot", "ndsi-team", "3")}


def test_the_other_questions_on_the_seed(server):
    ranked = rows(server, "concepts-by-support", scheme="def/m1-principle")
    counts = [int(r["organisations"]) for r in ranked]
    assert counts == sorted(counts) and counts[0] == 0 and ranked[-1]["organisations"] != "0"

    idle = {r["organisation"] for r in rows(server, "organisations-without-activity")}
    assert "id/organisation/ico" in idle and "id/organisation/odi" not in idle

    supports = rows(server, "who-supports-whom")
    assert {(r["from"], r["to"]) for r in supports} == {
        (f"id/organisation/{who}", "id/organisation/ndsi-team") for who in ("odi", "techuk", "royal-society")
    }
    assert all(r["sources"].startswith("https://") for r in supports)

    topic = rows(server, "activities-by-topic", topic="def/topic/data-institutions")
    assert [r["activity"] for r in topic] == ["id/activity/odi-data-institutions-event-2022-03-30"]

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
    assert len(as_json.json()["results"]["bindings"]) == 3
    tsv = web.get(url, headers={"Accept": "text/tab-separated-values"})
    assert tsv.text.startswith("?from\t")
    xml = web.get(url, headers={"Accept": "application/sparql-results+xml"})
    assert "<sparql" in xml.text
    assert web.get(url, headers={"Accept": "image/png"}).status_code == 406


@one_pass_only
def test_in_process_the_same_binding_reaches_the_ai_and_data_strategies_question(tmp_path: Path):
    """On a small fixture: an organisation whose activities support an NDS pillar and an AI Strategy pillar."""
    store = open_embedded(tmp_path / "store")
    anyio.run(initialise, store)
    fixture = """@prefix eco: <def/ecosystem/> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
    <id/activity/fixture-ai-skills> a eco:Activity ; skos:prefLabel "Fixture AI skills"@en ;
        eco:runBy <id/organisation/odi> ; eco:supports ?pillar ."""
    pillar = solutions(store, "SELECT ?c WHERE { ?c skos:inScheme <def/ai-strategy-pillar> } LIMIT 1")[0]["c"]
    quads = ox.parse(fixture.replace("?pillar", str(pillar)).encode(), format=ox.RdfFormat.TURTLE, base_iri=BASE + "/")
    transaction = Transaction()
    transaction.add(ox.Quad(q.subject, q.predicate, q.object, ox.NamedNode(BASE + "/data/fixture")) for q in quads)
    anyio.run(store.commit, transaction)
    query = load_query("organisations-in-both-strategies")
    found = [row["organisation"].value for row in solutions(store, query.bound(query.terms({}, BASE)))]
    assert found == [BASE + "/id/organisation/odi"]
    meetings = load_query("strategy-meeting-points")
    met = [
        (row["nds_concept"].value.rsplit("/", 1)[1], row["ai_concept"].value, row["organisations"].value)
        for row in solutions(store, meetings.bound({}))
        if row["organisations"].value != "0"
    ]
    odi_supports = {"address-risks", "responsible-data"}  # the ODI risk guide's principle and NDS pillar
    assert {(concept, pillar.value) for concept, _, _ in met} == {(c, pillar.value) for c in odi_supports}
    with pytest.raises(ParameterError):
        load_query("collaboration-network").terms({"hops": "0"}, BASE)


@one_pass_only
def test_the_coverage_matrix_places_an_activity_without_a_place_where_its_organisation_is(tmp_path: Path):
    """docs/where.md: where the activity happens, else where its organisation is based; never both."""
    store = open_embedded(tmp_path / "store")
    anyio.run(initialise, store)
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
    matrix = load_query("coverage-matrix")
    answer = solutions(store, matrix.bound(matrix.terms({"scheme": "def/m1-principle"}, BASE)))
    cells = {
        (row["concept"].value.rsplit("/", 1)[1], row["place_label"].value): int(row["activities"].value)
        for row in answer
    }
    assert cells[("reduce-costs", "Wales")] == 1 and cells[("reduce-costs", "Scotland")] == 0
    assert cells[("address-risks", "Scotland")] == 1
    assert cells[("address-risks", "Wales")] == 0, "an activity's own place wins over its organisation's"


def test_the_statistics_queries_agree_with_the_seed_and_the_lists(server):
    nations = {r["label"]: (r["organisations"], r["activities"]) for r in rows(server, "stats-by-nation")}
    assert nations == {
        "United Kingdom": ("7", "2"),  # four in London, two in Scotland, the ICO UK-wide; two placed activities
        "England": ("4", "1"),  # the London four; the Manchester workshop
        "Scotland": ("2", "0"),
        "Wales": ("0", "0"),
        "Northern Ireland": ("0", "0"),
    }
    things = {r["kind"]: int(r["count"]) for r in rows(server, "stats-things")}
    listed = web.get(server.url + "/organisations", params={"format": "json"}).json()["total"]
    assert things["organisations"] == listed
    kinds = {
        r["concept"].rsplit("/", 1)[1]: int(r["organisations"]) for r in rows(server, "stats-organisations-by-kind")
    }
    assert kinds["combined-authority"] == 0, "zeros are included"
    charities = web.get(server.url + "/organisations", params={"format": "json", "kind": "charity-or-non-profit"})
    assert kinds["charity-or-non-profit"] == charities.json()["total"]


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
    support = {r["concept"].rsplit("/", 1)[1]: r for r in rows(server, "stats-support-by-concept")}
    risks = support["address-risks"]  # the ODI's guide and its event, both judged by an editor to support it
    assert (risks["activities"], risks["editorial"], risks["organisations"]) == ("2", "2", "1")
    challenge = support["unlocking-the-value-of-data"]  # one activity, run by DCMS with the NDS Forum
    assert (challenge["activities"], challenge["organisations"]) == ("1", "2")
    assert support["establish-foundations"]["activities"] == "0", "zeros are included: they are the gaps"


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
