"""The W3C Reconciliation Service API at /reconcile, called as OpenRefine calls it, every answer checked against
the specification's own JSON Schemas (v0.2, kept locally: nothing is fetched)."""

from __future__ import annotations

import json
import random
from pathlib import Path

import httpx
import pytest
import web
from conftest import BASE, SAME_OVER_EITHER, one_pass, one_pass_only
from helpers import seed_census, seed_names
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from graph.matching.reconciliation import (
    _score,
    candidates,
    normalise,
    parse_batch,
    reconcile,
    registry_match,
    similarity,
    suggest_entities,
)

pytestmark = one_pass("embedded", SAME_OVER_EITHER)

SPECS = Path(__file__).parent / "specs" / "reconciliation-0.2"  # copied: specs/README.md
ODI = f"{BASE}/id/organisation/odi"


@pytest.fixture(scope="module")
def schemas() -> dict[str, Draft7Validator]:
    """A validator per schema file, resolving the files' relative $refs among themselves, and the manifest's
    security-scheme $ref against the Swagger 2.0 schema kept with them (openapi.json)."""
    contents = {path.name: json.loads(path.read_text(encoding="utf-8")) for path in SPECS.glob("*.json")}
    registry: Registry = Registry()
    for schema in contents.values():
        registry = registry.with_resource(schema["$id"].rstrip("#"), DRAFT7.create_resource(schema))
    return {name: Draft7Validator(schema, registry=registry) for name, schema in contents.items()}


def valid(schemas: dict[str, Draft7Validator], name: str, response: httpx.Response) -> dict:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    schemas[name].validate(document)
    return document


def reconcile_post(server, batch: dict) -> httpx.Response:
    """As OpenRefine sends it: a form-encoded POST with the batch as JSON in the queries field."""
    return web.post(server.url + "/reconcile", data={"queries": json.dumps(batch)}, timeout=30)


# --- Matching, without a server -----------------------------------------------------------------------


@one_pass_only
def test_names_are_compared_without_case_punctuation_articles_or_legal_form():
    assert normalise("The Open Data Institute Ltd.") == normalise("open data institute")
    assert normalise("Smith & Jones Limited") == normalise("Smith and Jones")
    assert normalise("Information Commissioner's Office") == normalise("Information Commissioners Office")
    assert normalise("Gŵyl Cymru Cyf") == "gwyl cymru"
    assert similarity("open data inst", "open data institute") < 1
    assert similarity("institute open data", "open data institute") == 1
    assert similarity("open data institute", "ada lovelace institute") < 0.6


@one_pass_only
def test_registry_numbers_match_in_org_id_form_or_bare():
    identifiers = {"GB-COH-08030289", "GB-CHC-1144091"}
    assert registry_match("GB-COH-08030289", identifiers)
    assert registry_match("gb-coh-08030289", identifiers)
    assert registry_match("08030289", identifiers)
    assert registry_match("8030289", identifiers)  # a spreadsheet dropped the leading zero
    assert not registry_match("GB-CHC-08030289", identifiers)
    assert not registry_match("GB-COH-1144091X", identifiers)


def _map(*organisations: tuple[str, str, str, bool]) -> dict:
    rows = [
        {"org": f"{BASE}/id/organisation/{key}", "field": "pref" if pref else "alt", "value": label, "lang": lang}
        for key, label, lang, pref in organisations
    ]
    return candidates(rows, BASE)


@one_pass_only
def test_a_welsh_name_matches_and_the_english_name_is_shown():
    found = _map(
        ("senedd", "Welsh Parliament", "en", True), ("senedd", "Senedd Cymru", "cy", True), ("ons", "ONS", "en", False)
    )
    [top] = reconcile(parse_batch('{"q": {"query": "senedd cymru"}}')["q"], found, BASE)
    assert (top["id"], top["name"], top["match"]) == ("senedd", "Welsh Parliament", True)


@one_pass_only
def test_namesakes_and_acronyms_are_candidates_but_never_a_match():
    found = _map(("a", "Data Trust", "en", True), ("b", "The Data Trust", "en", True), ("c", "DT", "en", False))
    results = reconcile(parse_batch('{"q": {"query": "Data Trust"}}')["q"], found, BASE)
    assert {r["id"] for r in results} == {"a", "b"} and not any(r["match"] for r in results)
    [acronym] = reconcile(parse_batch('{"q": {"query": "DT"}}')["q"], found, BASE)
    assert acronym["id"] == "c" and acronym["score"] >= 90 and not acronym["match"]


# --- The service ------------------------------------------------------------------------------------


@one_pass_only
def test_on_a_large_map_the_indexed_candidates_are_the_ones_scoring_every_organisation_would_pick():
    """Only the organisations the name index finds closest are scored; on 3,000 organisations with names made
    of common words, the best candidates are those that scoring all of them gives."""
    rng = random.Random(3)
    words = [
        "open",
        "data",
        "digital",
        "trust",
        "institute",
        "north",
        "south",
        "wales",
        "civic",
        "lab",
        "health",
        "research",
        "alliance",
        "city",
    ]
    rows = []
    for i in range(3000):
        name = " ".join(rng.sample(words, 3)).title() + f" {rng.choice(['Partners', 'Network', 'Forum', 'Hub'])} {i}"
        rows.append({"org": f"{BASE}/id/organisation/o{i}", "field": "pref", "value": name, "lang": "en"})
    rows.append({"org": f"{BASE}/id/organisation/o7", "field": "identifier", "value": "GB-COH-00123456"})
    found = candidates(rows, BASE)
    asked = [rows[42]["value"], rows[42]["value"].replace("a", "e").lower(), rows[1234]["value"].replace(" ", "")]
    for text in asked:
        query = parse_batch(json.dumps({"q": {"query": text}}))["q"]
        everyone = [s for c in found.by_key.values() if (s := _score(query, c, BASE)) is not None]
        best = max(s.score for s in everyone)
        [top, *_] = reconcile(query, found, BASE)
        assert top["score"] == round(best, 1) and top["id"] in {s.candidate.key for s in everyone if s.score == best}
    [numbered] = reconcile(
        parse_batch('{"q": {"query": "x", "properties": [{"pid": "registry-number", "v": "GB-COH-123456"}]}}')["q"],
        found,
        BASE,
    )
    assert (numbered["id"], numbered["match"]) == ("o7", True)
    prefix = rows[99]["value"][:12]
    suggested = {s["id"] for s in suggest_entities(prefix, found, 0, 3000)}
    assert suggested == {r["org"].rsplit("/", 1)[1] for r in rows if normalise(prefix) in normalise(r["value"])}


@one_pass_only
def test_an_exact_name_among_many_longer_ones_is_still_the_match_and_a_near_twin_still_stops_it():
    """The index ranks "Open Data Institute" above 150 names that hold it and more, and finds a misspelt twin,
    whose closeness means no match, as scoring every organisation would."""
    names = [(f"node-{i}", f"Open Data Institute Node {i}", "en", True) for i in range(150)]
    found = _map(*names, ("odi", "Open Data Institute", "en", True))
    [top, *_] = reconcile(parse_batch('{"q": {"query": "Open Data Institute"}}')["q"], found, BASE)
    assert (top["id"], top["match"]) == ("odi", True)
    found = _map(*names, ("odi", "Open Data Institute", "en", True), ("odi2", "Open Data Institue", "en", True))
    [top, second, *_] = reconcile(parse_batch('{"q": {"query": "Open Data Institute"}}')["q"], found, BASE)
    assert (top["id"], second["id"], top["match"]) == ("odi", "odi2", False)


def test_manifest(server, schemas):
    manifest = valid(schemas, "manifest.json", web.get(server.url + "/reconcile", timeout=30))
    assert manifest["versions"] == ["0.2"]
    assert manifest["identifierSpace"] == f"{BASE}/id/organisation/"
    assert manifest["view"]["url"].replace("{{id}}", "odi") == ODI
    assert manifest["defaultTypes"] == [{"id": "org:Organization", "name": "Organisation"}]
    assert manifest["preview"]["url"] == BASE + "/reconcile/preview?id={{id}}"
    entity = manifest["suggest"]["entity"]
    assert entity["service_url"] + entity["service_path"] == BASE + "/reconcile/suggest/entity"
    assert "authentication" not in manifest


def test_open_data_institute_is_a_match(server, schemas):
    batch = {"q0": {"query": "Open Data Institute", "type": "org:Organization", "limit": 3}}
    for response in (
        reconcile_post(server, batch),
        web.get(server.url + "/reconcile", params={"queries": json.dumps(batch)}, timeout=30),
    ):
        results = valid(schemas, "reconciliation-result-batch.json", response)["q0"]["result"]
        top = results[0]
        assert (top["id"], top["name"], top["score"], top["match"]) == ("odi", "Open Data Institute", 100, True)
        assert f"{BASE}/id/organisation/" + top["id"] == ODI
        assert len(results) <= 3 and not any(r["match"] for r in results[1:])


def test_a_near_miss_is_the_top_candidate_but_not_a_match(server, schemas):
    batch = {"q0": {"query": "Open Data Inst."}, "q1": {"query": "open data institute ltd"}}
    answer = valid(schemas, "reconciliation-result-batch.json", reconcile_post(server, batch))
    near = answer["q0"]["result"][0]
    assert near["id"] == "odi" and not near["match"] and 60 < near["score"] < 100
    assert answer["q1"]["result"][0]["match"]  # only case and legal form differ


def test_a_registry_number_is_a_match(server, schemas):
    batch = {
        "byid": {"query": "ODI Ltd", "properties": [{"pid": "registry-number", "v": "GB-COH-08030289"}]},
        "only": {"properties": [{"pid": "registry-number", "v": ["GB-COH-08030289"]}]},
        "bare": {"query": "Open Data Institute", "properties": [{"pid": "registry-number", "v": 8030289}]},
        "wrong": {"query": "Open Data Institute", "properties": [{"pid": "registry-number", "v": "GB-COH-00000001"}]},
    }
    answer = valid(schemas, "reconciliation-result-batch.json", reconcile_post(server, batch))
    for key in ("byid", "only", "bare"):
        top = answer[key]["result"][0]
        assert (top["id"], top["match"]) == ("odi", True), key
        assert {"id": "registry_number", "value": True} in top["features"]
    wrong = answer["wrong"]["result"][0]
    assert wrong["id"] == "odi" and not wrong["match"]  # the name agrees but the number does not


def test_website_and_place_refine_the_score(server, schemas):
    batch = {
        "site": {"query": "ODI", "properties": [{"pid": "website", "v": "https://www.theodi.org/about"}]},
        "plain": {"query": "Royal Soc."},
        "code": {"query": "Royal Soc.", "properties": [{"pid": "place", "v": "E12000007"}]},
        "label": {"query": "Royal Soc.", "properties": [{"pid": "place", "v": "england"}]},
    }
    answer = valid(schemas, "reconciliation-result-batch.json", reconcile_post(server, batch))
    site = answer["site"]["result"][0]
    assert site["id"] == "odi" and {"id": "website", "value": True} in site["features"]
    plain = answer["plain"]["result"][0]
    for key in ("code", "label"):  # London, which lies in England
        top = answer[key]["result"][0]
        assert top["id"] == plain["id"] == "royal-society" and top["score"] > plain["score"], key
        assert {"id": "place", "value": True} in top["features"]


def test_types_restrict_candidates(server, schemas):
    batch = {
        "iri": {"query": "Nesta", "type": ["http://www.w3.org/ns/org#Organization"]},
        "other": {"query": "Nesta", "type": "foaf:Person"},
    }
    answer = valid(schemas, "reconciliation-result-batch.json", reconcile_post(server, batch))
    assert answer["iri"]["result"][0]["id"] == "nesta"
    assert answer["other"]["result"] == []


def test_markup_in_a_query_is_only_text(server, schemas):
    batch = {"q0": {"query": "<script>alert('owned')</script> Hostile & Sons"}, "q1": {"query": "<script>"}}
    answer = valid(schemas, "reconciliation-result-batch.json", reconcile_post(server, batch))
    assert answer["q0"]["result"][0]["id"] == "hostile-test-org"


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"queries": '{"q0": {"query": "ODI"'}, "not valid JSON"),
        ({"queries": '["Open Data Institute"]'}, "must be a JSON object"),
        ({"queries": '{"q0": "Open Data Institute"}'}, "is not an object"),
        ({"queries": '{"q0": {"type": "org:Organization"}}'}, "neither a query nor properties"),
        ({"queries": '{"q0": {"query": "ODI", "limit": -1}}'}, "limit"),
        ({"queries": '{"q0": {"query": "ODI", "properties": [{"pid": "website"}]}}'}, "pid"),
        ({"queries": json.dumps({f"q{i}": {"query": "ODI"} for i in range(51)})}, "at most 50"),
        ({"extend": '{"ids": ["odi"]'}, "not valid JSON"),
        ({"extend": '{"ids": ["odi"], "properties": [{"id": "turnover"}]}'}, "unknown property"),
        ({}, "queries="),
    ],
)
def test_bad_requests_are_told_what_is_wrong(server, form, message):
    response = web.post(server.url + "/reconcile", data=form, timeout=30)
    assert response.status_code == 400
    assert message in response.json()["error"]
    if form:
        response = web.get(server.url + "/reconcile", params=form, timeout=30)
        assert response.status_code == 400 and message in response.json()["error"]


def test_suggest(server, schemas):
    schema = {"entity": "entities", "type": "types", "property": "properties"}

    def suggest(kind: str, prefix: str) -> list[dict]:
        response = web.get(f"{server.url}/reconcile/suggest/{kind}", params={"prefix": prefix}, timeout=30)
        return valid(schemas, f"suggest-{schema[kind]}-response.json", response)["result"]

    opening = suggest("entity", "Open")
    assert opening[0]["notable"] == [{"id": "org:Organization", "name": "Organisation"}]
    # Every suggestion for "Open", page by page: names that start with it come first, by name, and the seed's
    # organisations with such a name (read from graph/seed/*.trig; "The" is passed over) are all among them.
    suggested, cursor = [], 0
    while page := web.get(
        f"{server.url}/reconcile/suggest/entity", params={"prefix": "Open", "cursor": str(cursor)}, timeout=30
    ).json()["result"]:
        suggested, cursor = suggested + page, cursor + len(page)
    assert suggested[: len(opening)] == opening
    starts = [s.get("description", s["name"]).casefold().removeprefix("the ").startswith("open") for s in suggested]
    assert starts == sorted(starts, reverse=True), "names that start with what was typed come first"
    first = [s["name"].casefold() for s, start in zip(suggested, starts, strict=True) if start]
    assert first == sorted(first)
    seed = {
        iri.rsplit("/", 1)[1]
        for iri, names in seed_names(seed_census().organisations).items()
        if any(name.casefold().removeprefix("the ").startswith("open") for name in names)
    }
    assert {"odi", "open-data-wales", "the-open-university"} <= seed  # "Open Data Institute", …
    assert set(seed) <= {s["id"] for s, start in zip(suggested, starts, strict=True) if start}
    # The organisation whose id was typed comes first, before others whose names merely start with it (ODI Belfast,
    # ODI Cardiff and ODI Leeds in the seed).
    assert [s["id"] for s in suggest("entity", "odi")][:1] == ["odi"], "an exact match is suggested first"
    assert "royal-society" in {s["id"] for s in suggest("entity", "society")}
    assert suggest("entity", "DCMS")[0]["description"] == "DCMS"
    assert suggest("type", "Org") == [{"id": "org:Organization", "name": "Organisation"}]
    assert suggest("type", "person") == []
    assert [p["id"] for p in suggest("property", "reg")] == ["registry-number"]
    paged = web.get(server.url + "/reconcile/suggest/entity", params={"prefix": "", "cursor": "x"}, timeout=30)
    assert paged.status_code == 400
    # Found by the fuzzer (test_fuzz.py): "²" is a digit to str.isdigit() but not to int(), and was a 500.
    for kind in ("entity", "type", "property"):
        superscript = web.get(server.url + f"/reconcile/suggest/{kind}", params={"prefix": "a", "cursor": "²"})
        assert superscript.status_code == 400


def test_preview(server):
    response = web.get(server.url + "/reconcile/preview", params={"id": "odi"}, timeout=30)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    for shown in ("Open Data Institute", "GB-COH-08030289", 'href="https://theodi.org/"', "Company", ODI):
        assert shown in response.text, shown
    hostile = web.get(server.url + "/reconcile/preview", params={"id": "hostile-test-org"}, timeout=30)
    assert "&lt;script&gt;alert(" in hostile.text and "<script>" not in hostile.text
    missing = web.get(server.url + "/reconcile/preview", params={"id": "<script>x"}, timeout=30)
    assert missing.status_code == 404 and "<script>" not in missing.text


def test_data_extension(server, schemas):
    wanted = ["registry-number", "website", "place", "supports", "related-organisation", "kind"]
    query = {"ids": ["odi", "royal-society", "no-such-org"], "properties": [{"id": p} for p in wanted]}
    for response in (
        web.post(server.url + "/reconcile", data={"extend": json.dumps(query)}, timeout=30),
        web.get(server.url + "/reconcile/extend", params={"extend": json.dumps(query)}, timeout=30),
        web.post(server.url + "/reconcile/extend", data={"extend": json.dumps(query)}, timeout=30),
    ):
        answer = valid(schemas, "data-extension-response.json", response)
        assert [m["id"] for m in answer["meta"]] == wanted
        odi, society = answer["rows"]["odi"], answer["rows"]["royal-society"]
        assert odi["registry-number"] == [{"str": "GB-COH-08030289"}]
        assert odi["website"] == [{"str": "https://theodi.org/"}]
        assert {"str": "Responsible data"} in odi["supports"]
        assert {"id": "ndsi-team", "name": "National Data Strategy Implementation team"} in odi["related-organisation"]
        assert society["place"] == [{"str": "London"}]
        assert answer["rows"]["no-such-org"] == {p: [] for p in wanted}
    nothing = {"ids": ["odi", "<script>"], "properties": []}
    response = web.get(server.url + "/reconcile", params={"extend": json.dumps(nothing)}, timeout=30)
    assert valid(schemas, "data-extension-response.json", response) == {"meta": [], "rows": {"odi": {}, "<script>": {}}}


def test_propose_properties(server, schemas):
    url = server.url + "/reconcile/propose_properties"
    proposal = valid(
        schemas, "data-extension-property-proposal.json", web.get(url, params={"type": "org:Organization"})
    )
    assert {"registry-number", "supports", "related-organisation"} <= {p["id"] for p in proposal["properties"]}
    limited = valid(schemas, "data-extension-property-proposal.json", web.get(url, params={"limit": "2"}))
    assert len(limited["properties"]) == 2 and limited["limit"] == 2
    other = valid(schemas, "data-extension-property-proposal.json", web.get(url, params={"type": "foaf:Person"}))
    assert other["properties"] == []


@one_pass_only
def test_a_key_is_a_candidate_and_a_lower_case_name_still_matches():
    found = _map(("nesta", "Nesta", "en", True), ("ico", "Information Commissioner's Office", "en", True))
    [nesta] = reconcile(parse_batch('{"q": {"query": "nesta"}}')["q"], found, BASE)
    assert nesta["match"]
    [ico] = reconcile(parse_batch('{"q": {"query": "ico"}}')["q"], found, BASE)
    assert ico["id"] == "ico" and ico["score"] == 100 and not ico["match"]
    [uri] = reconcile(parse_batch(json.dumps({"q": {"query": f"{BASE}/id/organisation/ico"}}))["q"], found, BASE)
    assert uri["id"] == "ico" and uri["match"]
