"""The gap heatmap as SVG and PNG for reports, the strategy map, and lookup by registry identifier, against a
real server over the seed graph."""

from __future__ import annotations

import io
import re
from xml.etree import ElementTree

import pytest
import rdflib
import web
from conftest import SAME_OVER_EITHER, one_pass
from helpers import SeedReading, seed_reading
from PIL import Image

pytestmark = one_pass("remote", SAME_OVER_EITHER)

SVG = "{http://www.w3.org/2000/svg}"
GAP, NOT_COLLECTED = "#ffffff", "#e5e5e5"  # a zero where records were collected, and where none were


def english_name(seed: SeedReading, thing: str) -> str:
    [name] = [n for n in seed.graph.objects(seed.iri(thing), rdflib.SKOS.prefLabel) if n.language == "en"]
    return str(name)


def in_scheme(seed: SeedReading, scheme: str) -> list[str]:
    return sorted(seed.subjects(rdflib.SKOS.inScheme, f"def/{scheme}"))


def heatmap_places(seed: SeedReading) -> list[str]:
    """The places the gap analysis draws: the UK, its nations and the English regions (graph/reference/places.ttl)."""
    types = {f"def/place-type/{t}" for t in ("united-kingdom", "country", "english-region")}
    return sorted(seed.path(place) for t in types for place in seed.graph.subjects(rdflib.DCTERMS.type, seed.iri(t)))


def expected_cell(seed: SeedReading, concept: str, place: str) -> tuple[str, int]:
    """A heatmap cell's title and its number of organisations, as docs/where.md defines them, read from the seed."""
    supporters = seed.supporters(concept, place, named=False)
    organisations, activities = len({o for o, _ in supporters}), len({a for _, a in supporters})
    if organisations:
        said = f"{organisations} organisation{'s' * (organisations != 1)}, "
        said += f"{activities} activit{'y' if activities == 1 else 'ies'}"
    elif seed.records_placing_in(place):
        said = "none: a gap"
    else:
        said = "none, and nothing collected here"
    return f"{english_name(seed, concept)}, {english_name(seed, place)}: {said}", organisations


def test_the_heatmap_downloads_as_svg_with_one_cell_per_concept_and_place(server):
    answer = web.get(server.url + "/gaps.svg", params={"scheme": "m1-principle"})
    assert answer.status_code == 200 and answer.headers["content-type"] == "image/svg+xml"
    svg = ElementTree.fromstring(answer.text)
    cells = [r for r in svg.iter(SVG + "rect") if r.find(SVG + "title") is not None]
    assert len(cells) == 6 * 14
    titles = {r.find(SVG + "title").text: r.get("fill") for r in cells}
    seed = seed_reading()
    expected = {
        expected_cell(seed, concept, place)
        for concept in in_scheme(seed, "m1-principle")
        for place in heatmap_places(seed)
    }
    assert set(titles) == {title for title, _ in expected}
    for title, organisations in expected:  # a shade where there are organisations, else white or grey
        if organisations:
            assert titles[title] not in (GAP, NOT_COLLECTED), title
        else:
            assert titles[title] == (NOT_COLLECTED if title.endswith("nothing collected here") else GAP), title
    # Each kind of cell is there, as the seed files say: DCMS's workshop in Greater Manchester supports incentives
    # (an editor's judgement), in England; London has records, none about incentives; none places anything in the
    # East Midlands.
    incentives = "Improve or demonstrate incentives for data sharing"
    [england] = [title for title in titles if title.startswith(f"{incentives}, England: ")]
    assert "organisation" in england and titles[england] not in (GAP, NOT_COLLECTED)
    assert titles[f"{incentives}, London: none: a gap"] == GAP
    assert titles[f"{incentives}, East Midlands: none, and nothing collected here"] == NOT_COLLECTED


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


def meeting_organisations(seed: SeedReading, nds_concept: str, ai_pillar: str) -> set[str]:
    """The organisations that lead, run, host or take part in activities supporting both, read from the seed."""

    def supporters(concept: str) -> set[str]:
        return {who for activity in seed.supporting(concept) for who in seed.role_holders(activity)}

    return supporters(nds_concept) & supporters(ai_pillar) & seed.organisations


def test_the_strategy_map_shows_the_strategies_and_where_they_meet(server):
    page = web.get(server.url + "/strategy-map")
    assert page.status_code == 200
    for name in ("National Data Strategy", "National AI Strategy", "Mission 1 Policy Framework"):
        assert name in page.text
    assert "Read it on GOV.UK" in page.text
    meetings = page.text.split('class="heatmap strategy-meetings"')[1].split("</table>")[0]
    pillars = re.findall(r'<th scope="col"><a href="/([^"]+)">', meetings)
    shown = {
        (concept, pillar): int(count)
        for concept, cells in re.findall(r'<th scope="row"><a href="/([^"]+)">.*?</th>(.*?)</tr>', meetings)
        for pillar, count in zip(pillars, re.findall(r'<td class="heat heat-[0-9]">([0-9]+)</td>', cells), strict=True)
    }
    seed = seed_reading()
    nds = [
        c
        for scheme in ("nds-mission", "nds-pillar", "m1-priority-area", "m1-principle")
        for c in in_scheme(seed, scheme)
    ]
    expected = {
        (concept, pillar): len(meeting_organisations(seed, concept, pillar))
        for concept in nds
        for pillar in in_scheme(seed, "ai-strategy-pillar")
    }
    assert len(expected) == 17 * 3, "every NDS concept by every AI pillar"
    assert shown == expected
    # e.g. the AI Collaboration Centre's AI skills programme supports both data skills (an NDS pillar) and the AI
    # Strategy's long-term needs, as the seed files say; so the page no longer says that the strategies do not meet
    meet = meeting_organisations(seed, "def/nds-pillar/data-skills", "def/ai-strategy-pillar/long-term-needs")
    assert "id/organisation/ai-collaboration-centre" in meet
    assert ("None on the map does yet" in page.text) == (sum(expected.values()) == 0)


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
