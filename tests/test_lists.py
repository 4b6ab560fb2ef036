"""List pages: filters that mean what they say, honest totals, pagination for people and machines."""

from __future__ import annotations

import re

import pytest
import web
from conftest import SAME_OVER_EITHER, one_pass

pytestmark = one_pass("remote", SAME_OVER_EITHER)


def listing(server, path, **params):
    response = web.get(server.url + path, params={**params, "format": "json"})
    assert response.status_code == 200, response.text
    return response.json()


def names(body) -> set[str]:
    return {item["name"] for item in body["items"]}


def test_every_organisation_is_listed_with_an_honest_total(server):
    body = listing(server, "/organisations", per_page=500)
    assert body["total"] == len(body["items"]) == 25  # 24 seeded, and the test's own hostile record
    assert "Open Data Institute" in names(body)


def test_pages_link_to_each_other_for_machines_and_people(server):
    response = web.get(
        server.url + "/organisations", params={"per_page": 10, "page": 2}, headers={"Accept": "application/json"}
    )
    links = {rel: url for url, rel in re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["link"])}
    assert links == {
        "first": "/organisations?per_page=10&page=1",
        "last": "/organisations?per_page=10&page=3",
        "prev": "/organisations?per_page=10&page=1",
        "next": "/organisations?per_page=10&page=3",
    }
    body = response.json()
    assert (body["page"], body["pages"], len(body["items"])) == (2, 3, 10)
    everyone = [i["iri"] for p in (1, 2, 3) for i in listing(server, "/organisations", per_page=10, page=p)["items"]]
    assert len(everyone) == len(set(everyone)) == 25


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"area": "def/m1-principle/address-risks"}, {"Open Data Institute"}),
        (
            {"area": "http://127.0.0.1:8000/def/nds-mission/unlocking-the-value-of-data"},
            {"Department for Culture, Media and Sport", "National Data Strategy Forum"},
        ),
        (
            {"place": "E12000007"},
            {
                "The Royal Society",
                "PricewaterhouseCoopers LLP",
                "The Alan Turing Institute",
                "Royal Statistical Society",
            },
        ),
        ({"place": "S92000003"}, {"Smart Data Foundry", "University of Edinburgh"}),
        ({"kind": "network-or-forum"}, {"National Data Strategy Forum"}),
        # the forum's network group supports the NDS; the ODI's guide its responsible data pillar; DCMS's challenge
        # (with the forum taking part) its Mission 1
        (
            {"strategy": "national-data-strategy"},
            {"National Data Strategy Forum", "Open Data Institute", "Department for Culture, Media and Sport"},
        ),
        ({"q": "catapult"}, {"Connected Places Catapult", "Digital Catapult"}),
        ({"q": "ODI"}, {"Open Data Institute"}),
        ({"place": "E12000007", "kind": "company"}, {"PricewaterhouseCoopers LLP", "The Alan Turing Institute"}),
    ],
)
def test_organisation_filters(server, params, expected):
    assert names(listing(server, "/organisations", **params)) == expected


def test_activity_filters(server):
    assert names(listing(server, "/activities", place="E92000001")) == {
        "Workshop in Manchester on data sharing in connected places"
    }
    assert "ODI guide to assessing and managing the risks of sharing data" in names(
        listing(server, "/activities", kind="publication-or-guidance")
    )
    assert len(listing(server, "/activities", strategy="nds-mission-1-policy-framework")["items"]) == 5
    # supporting the strategy itself counts, as well as supporting one of its pillars or missions
    assert "National Data Strategy Forum Network Group" in names(
        listing(server, "/activities", strategy="national-data-strategy")
    )


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
    assert "2 organisations match these filters." in page
    assert '<option value="S92000003" selected>Scotland</option>' in page
    assert '<optgroup label="Mission 1 policy framework: principles for intervention">' in page
    assert 'href="/id/organisation/smart-data-foundry"' in page
