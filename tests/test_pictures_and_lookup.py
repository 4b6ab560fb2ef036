"""The gap heatmap as SVG and PNG for reports, the strategy map, and lookup by registry identifier, against a
real server over the seed graph."""

from __future__ import annotations

import io
from xml.etree import ElementTree

import pytest
import web
from conftest import SAME_OVER_EITHER, one_pass
from PIL import Image

pytestmark = one_pass("remote", SAME_OVER_EITHER)

SVG = "{http://www.w3.org/2000/svg}"


def test_the_heatmap_downloads_as_svg_with_one_cell_per_concept_and_place(server):
    answer = web.get(server.url + "/gaps.svg", params={"scheme": "m1-principle"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/svg+xml"
    svg = ElementTree.fromstring(answer.text)
    cells = [r for r in svg.iter(SVG + "rect") if r.find(SVG + "title") is not None]
    assert len(cells) == 6 * 14
    titles = {r.find(SVG + "title").text: r.get("fill") for r in cells}
    incentives = "Improve or demonstrate incentives for data sharing"
    assert titles[f"{incentives}, England: 1 organisation, 1 activity"] != "#ffffff"
    assert titles[f"{incentives}, Wales: none, and nothing collected here"] == "#e5e5e5"
    assert titles[f"{incentives}, London: none: a gap"] == "#ffffff"


def test_the_heatmap_downloads_as_png(server):
    answer = web.get(server.url + "/gaps.png", params={"scheme": "m1-principle"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(answer.content))
    assert image.format == "PNG" and image.width > 1000 and image.height > 300


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/gaps", {"scheme": "../../etc"}),
        ("/gaps.svg", {"scheme": "nope"}),
        ("/gaps/organisations", {"area": "def/m1-principle/address-risks", "place": "x> } ; DROP ALL"}),
        ("/gaps/organisations", {"area": "def/m1-principle/address-risks", "place": ""}),
        # Found by the fuzzer (test_fuzz.py): an empty area with a place was a 500.
        ("/gaps/organisations", {"area": "", "place": "÷"}),
    ],
)
def test_bad_picture_requests_get_a_clear_400(server, path, params):
    answer = web.get(server.url + path, params=params)
    assert answer.status_code == 400 and answer.text.strip() and "Traceback" not in answer.text


def test_the_strategy_map_shows_the_strategies_and_where_they_meet(server):
    page = web.get(server.url + "/strategy-map")
    assert page.status_code == 200
    for name in ("National Data Strategy", "National AI Strategy", "Mission 1 Policy Framework"):
        assert name in page.text
    assert "Read it on GOV.UK" in page.text
    meetings = page.text.split('class="heatmap strategy-meetings"')[1]
    assert meetings.count('<td class="heat heat-0">0</td>') == 51, "every NDS concept by every AI pillar, all zero"
    assert "None on the map does yet" in page.text


@pytest.mark.parametrize(
    ("identifier", "organisation"),
    [
        ("GB-COH-08030289", "odi"),
        ("gb-coh-08030289", "odi"),
        ("GB-CHC-207043", "royal-society"),
        ("Q123885", "royal-society"),
    ],
)
def test_lookup_by_identifier_answers_303_to_the_organisation(server, identifier, organisation):
    answer = web.get(f"{server.url}/lookup/{identifier}")
    assert answer.status_code == 303 and answer.headers["location"] == f"/id/organisation/{organisation}"


@pytest.mark.parametrize(("identifier", "status"), [("GB-COH-99999999", 404), ("Q1", 404), ("not an id", 400)])
def test_lookup_of_an_unknown_or_malformed_identifier_says_so(server, identifier, status):
    answer = web.get(f"{server.url}/lookup/{identifier}")
    assert answer.status_code == status and answer.json()["error"]


def test_the_model_guide_draws_the_ontology_and_explains_the_saved_queries(server):
    svg = ElementTree.fromstring(web.get(server.url + "/guide/model.svg").text)
    drawn = {
        name.strip()
        for element in [*svg.iter(SVG + "line"), *svg.iter(SVG + "path")]
        if element.find(SVG + "title") is not None
        for name in element.find(SVG + "title").text.split(",")
    }
    ontology = web.get(
        server.url + "/sparql",
        params={
            "query": "SELECT ?p WHERE { GRAPH <def/ecosystem> { ?p a owl:ObjectProperty ; rdfs:domain ?d ; rdfs:range ?r "
            "VALUES ?d { eco:Activity eco:Relationship org:Organization } "
            "VALUES ?r { eco:Activity org:Organization foaf:Agent dcterms:Location skos:Concept } } }"
        },
        headers={"Accept": "application/sparql-results+json"},
    ).json()["results"]["bindings"]
    defined = {"eco:" + row["p"]["value"].rsplit("/", 1)[1] for row in ontology}
    assert defined and defined <= drawn, defined - drawn
    assert {"eco:supports", "org:holds", "dcterms:spatial"} <= drawn
    page = web.get(server.url + "/guide")
    assert page.status_code == 200 and 'src="/guide/model.svg"' in page.text
    for name in ("coverage-matrix", "collaboration-network", "organisations-by-priority-area"):
        assert f'id="{name}"' in page.text
    assert "Company number" in page.text or "company number" in page.text
