"""List pages: filters that mean what they say, honest totals, pagination for people and machines."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pytest
import rdflib
import web
from conftest import SAME_OVER_EITHER, one_pass
from helpers import SeedReading, seed_census, seed_reading

pytestmark = one_pass("remote", SAME_OVER_EITHER)


def listing(server, path, **params):
    response = web.get(server.url + path, params={**params, "format": "json"})
    assert response.status_code == 200, response.text
    return response.json()


def names(body) -> set[str]:
    return {item["name"] for item in body["items"]}


def everything_listed(server, path, **params) -> dict[str, str]:
    """Every item of a list with these filters, IRI and name, read page by page (500 a page, the most there is)."""
    first = listing(server, path, per_page=500, **params)
    items = first["items"] + [
        item
        for page in range(2, first["pages"] + 1)
        for item in listing(server, path, per_page=500, page=page, **params)["items"]
    ]
    assert len(items) == first["total"]
    return {item["iri"]: item["name"] for item in items}


# What each filter keeps, read from the seed files with rdflib (helpers.seed_reading), no SPARQL: for each filter, a
# function that says whether it keeps a thing (an organisation or an activity, by its path: id/organisation/odi).
Fits = Callable[[SeedReading, str], bool]


def kept(fits: Fits, things: str = "organisations") -> dict[str, str]:
    """The things of the seed that fit, by IRI, each with its English name (a list shows only named things)."""
    seed = seed_reading()
    return {
        str(seed.iri(thing)): str(name)
        for thing in getattr(seed, things)
        if fits(seed, thing)
        for name in seed.graph.objects(seed.iri(thing), rdflib.SKOS.prefLabel)
        if name.language == "en"
    }


def supporting(concept: str) -> Fits:
    """Leads, runs, hosts or takes part in an activity that supports the concept."""
    return lambda seed, organisation: any(concept in seed.supported_by(a) for a in seed.activities_of(organisation))


def based_or_working_in(code: str) -> Fits:
    """Based or operating in the place, or in a place within it."""
    return lambda seed, organisation: any(
        f"id/place/{code}" in seed.lies_within(where)
        for prop in ("basedIn", "operatesIn")
        for where in seed.objects(organisation, seed.eco(prop))
    )


def of_kind(key: str, scheme: str = "organisation-kind", prop: str = "organisationKind") -> Fits:
    return lambda seed, thing: f"def/{scheme}/{key}" in seed.objects(thing, seed.eco(prop))


def towards(seed: SeedReading, strategy: str, concept: str) -> bool:
    """Whether the concept is the strategy itself or a concept of a scheme the strategy defines."""
    defined_by = {
        d
        for scheme in seed.objects(concept, rdflib.SKOS.inScheme)
        for d in seed.objects(scheme, rdflib.RDFS.isDefinedBy)
    }
    return concept == f"id/strategy/{strategy}" or f"id/strategy/{strategy}" in defined_by


def in_strategy(strategy: str) -> Fits:
    """Leads, runs, hosts or takes part in an activity that supports the strategy or a concept it defines."""
    return lambda seed, organisation: any(
        towards(seed, strategy, concept) for a in seed.activities_of(organisation) for concept in seed.supported_by(a)
    )


def named(text: str) -> Fits:
    """Has a name (preferred or other, in any language) that holds the text, in any case."""
    return lambda seed, thing: any(
        text.lower() in str(name).lower()
        for kind in (rdflib.SKOS.prefLabel, rdflib.SKOS.altLabel)
        for name in seed.graph.objects(seed.iri(thing), kind)
    )


def both(first: Fits, second: Fits) -> Fits:
    return lambda seed, thing: first(seed, thing) and second(seed, thing)


def test_every_organisation_is_listed_with_an_honest_total(server):
    body = listing(server, "/organisations", per_page=500)
    assert body["total"] == len(body["items"]) == len(seed_census().organisations) + 1  # and the test's hostile one
    assert "Open Data Institute" in names(body)


def test_pages_link_to_each_other_for_machines_and_people(server):
    total = len(seed_census().organisations) + 1  # and the test's hostile one
    pages = math.ceil(total / 10)
    assert pages > 3  # so that page 2 has a page before it, a page after it, and a last page beyond that
    response = web.get(
        server.url + "/organisations", params={"per_page": 10, "page": 2}, headers={"Accept": "application/json"}
    )
    links = {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["link"])}
    assert links == {
        "first": "/organisations?per_page=10&page=1",
        "last": f"/organisations?per_page=10&page={pages}",
        "prev": "/organisations?per_page=10&page=1",
        "next": "/organisations?per_page=10&page=3",
    }
    body = response.json()
    assert (body["total"], body["page"], body["pages"], len(body["items"])) == (total, 2, pages, 10)
    last = listing(server, "/organisations", per_page=10, page=pages)
    assert len(last["items"]) == total - 10 * (pages - 1)
    assert "next" not in last["links"] and last["links"]["prev"].endswith(f"&page={pages - 1}")
    everyone = [
        i["iri"] for p in range(1, pages + 1) for i in listing(server, "/organisations", per_page=10, page=p)["items"]
    ]
    assert len(everyone) == len(set(everyone)) == total


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        # each filter with what it keeps by the seed, and some organisations it keeps, checked by hand in the TriG files
        (
            {"area": "def/m1-principle/address-risks"},
            (supporting("def/m1-principle/address-risks"), {"Open Data Institute"}),
        ),
        (
            {"area": "http://127.0.0.1:8000/def/nds-mission/unlocking-the-value-of-data"},
            (
                supporting("def/nds-mission/unlocking-the-value-of-data"),
                {"Department for Culture, Media and Sport", "National Data Strategy Forum"},
            ),
        ),
        (
            {"place": "E12000007"},
            (
                based_or_working_in("E12000007"),
                {
                    "The Royal Society",
                    "PricewaterhouseCoopers LLP",
                    "The Alan Turing Institute",
                    "Royal Statistical Society",
                },
            ),
        ),
        ({"place": "S92000003"}, (based_or_working_in("S92000003"), {"Smart Data Foundry", "University of Edinburgh"})),
        ({"kind": "network-or-forum"}, (of_kind("network-or-forum"), {"National Data Strategy Forum"})),
        # the forum's network group supports the NDS; the ODI's guide its responsible data pillar; DCMS's challenge
        # (with the forum taking part) its Mission 1
        (
            {"strategy": "national-data-strategy"},
            (
                in_strategy("national-data-strategy"),
                {"National Data Strategy Forum", "Open Data Institute", "Department for Culture, Media and Sport"},
            ),
        ),
        ({"q": "catapult"}, (named("catapult"), {"Connected Places Catapult", "Digital Catapult"})),
        ({"q": "ODI"}, (named("ODI"), {"Open Data Institute"})),
        (
            {"place": "E12000007", "kind": "company"},
            (
                both(based_or_working_in("E12000007"), of_kind("company")),
                {"PricewaterhouseCoopers LLP", "The Alan Turing Institute"},
            ),
        ),
    ],
)
def test_organisation_filters(server, params, expected):
    fits, known = expected
    keeps = kept(fits)
    assert known <= set(keeps.values()) and len(keeps) < len(seed_census().organisations)
    assert everything_listed(server, "/organisations", **params) == keeps


def test_activity_filters(server):
    in_england = everything_listed(server, "/activities", place="E92000001")
    assert in_england == kept(
        lambda seed, activity: any(
            "id/place/E92000001" in seed.lies_within(where) for where in seed.objects(activity, rdflib.DCTERMS.spatial)
        ),
        "activities",
    )
    assert "Workshop in Manchester on data sharing in connected places" in in_england.values()
    guidance = everything_listed(server, "/activities", kind="publication-or-guidance")
    assert guidance == kept(of_kind("publication-or-guidance", "activity-kind", "activityKind"), "activities")
    assert "ODI guide to assessing and managing the risks of sharing data" in guidance.values()
    mission_1 = everything_listed(server, "/activities", strategy="nds-mission-1-policy-framework")
    assert mission_1 == kept(
        lambda seed, activity: any(
            towards(seed, "nds-mission-1-policy-framework", concept) for concept in seed.supported_by(activity)
        ),
        "activities",
    )
    assert "ODI guide to assessing and managing the risks of sharing data" in mission_1.values()
    # supporting the strategy itself counts, as well as supporting one of its pillars or missions
    data_strategy = everything_listed(server, "/activities", strategy="national-data-strategy")
    assert data_strategy == kept(
        lambda seed, activity: any(towards(seed, "national-data-strategy", c) for c in seed.supported_by(activity)),
        "activities",
    )
    assert "National Data Strategy Forum Network Group" in data_strategy.values()


@pytest.mark.parametrize("q", ['" } UNION { ?item ?p ?o } #', "x') } ; DROP ALL", "\\\\\\", "{{}}"])
def test_search_text_cannot_change_the_query(server, q):
    assert listing(server, "/organisations", q=q)["total"] == 0


def test_search_text_is_matched_literally(server):
    assert names(listing(server, "/organisations", q="<script>")) == {"<script>alert('owned')</script> Hostile & Sons"}


@pytest.mark.parametrize(
    "params",
    [
        {"place": "London"},
        {"kind": "not a key"},
        {"area": "https://evil.example/x"},
        {"strategy": "../../x"},
        {"page": "0"},
        {"per_page": "100000"},
    ],
)
def test_bad_filters_get_400_or_422_with_a_message(server, params):
    response = web.get(server.url + "/organisations", params=params)
    assert response.status_code in (400, 422)
    assert "Traceback" not in response.text


def test_the_html_list_offers_the_filters_and_counts(server):
    page = web.get(server.url + "/organisations", params={"place": "S92000003"}, headers={"Accept": "text/html"}).text
    # anchored at the paragraph's start: 2 organisations, as the seed had once, is also the end of 22
    scotland = len(kept(based_or_working_in("S92000003")))
    assert f'<p class="count" role="status">{scotland} organisations match these filters.' in page
    assert '<option value="S92000003" selected>Scotland</option>' in page
    assert '<optgroup label="Mission 1 policy framework: principles for intervention">' in page
    assert 'href="/id/organisation/smart-data-foundry"' in page
