"""Vocabularies and places, exactly as the verified reference facts give them, each with its source."""

import re

import pytest
from conftest import one_pass_only
from helpers import ask, select

from graph.catalogue import ROOT

pytestmark = one_pass_only

REFERENCE = ROOT.parent / "shared" / "reference" / "reference-facts.md"


def concepts(store, scheme: str) -> dict[str, str]:
    rows = select(
        store,
        f"SELECT ?n ?label WHERE {{ ?c skos:inScheme <def/{scheme}> ; skos:notation ?n ; skos:prefLabel ?label }}",
    )
    return {row["n"]: row["label"] for row in rows}


def test_nds_pillars_and_missions_as_the_reference_gives_them(seeded_store):
    assert concepts(seeded_store, "nds-pillar") == {
        "1": "Data foundations",
        "2": "Data skills",
        "3": "Data availability",
        "4": "Responsible data",
    }
    missions = concepts(seeded_store, "nds-mission")
    assert len(missions) == 5
    assert missions["1"] == "Unlocking the value of data across the economy"
    assert missions["5"] == "Championing the international flow of data"


def test_six_principles_and_three_ai_pillars(seeded_store):
    assert len(concepts(seeded_store, "m1-principle")) == 6
    assert concepts(seeded_store, "ai-strategy-pillar") == {
        "1": "Investing in the long-term needs of the AI ecosystem",
        "2": "Ensuring AI benefits all sectors and regions",
        "3": "Governing AI effectively",
    }


def test_only_the_two_verified_priority_areas_with_a_note_on_the_missing_five(seeded_store):
    assert concepts(seeded_store, "m1-priority-area") == {"1": "Establish foundations", "2": "Support infrastructure"}
    [row] = select(seeded_store, "SELECT ?note WHERE { <def/m1-priority-area> skos:note ?note }")
    assert "seven" in row["note"] and "3 to 7" in row["note"]


def test_every_framework_concept_cites_a_web_source(seeded_store):
    rows = select(
        seeded_store,
        """SELECT ?c (COUNT(?source) AS ?sources) WHERE {
             VALUES ?scheme { <def/nds-pillar> <def/nds-mission> <def/m1-principle> <def/m1-priority-area>
                              <def/ai-strategy-pillar> <def/topic> }
             ?c skos:inScheme ?scheme .
             OPTIONAL { ?c dcterms:source ?source FILTER(STRSTARTS(STR(?source), "http")) }
           } GROUP BY ?c""",
    )
    assert rows and all(int(row["sources"]) >= 1 for row in rows), [r["c"] for r in rows if r["sources"] == "0"]


def test_places_are_keyed_by_gss_code_and_linked_to_ons(seeded_store):
    rows = select(
        seeded_store,
        "SELECT ?place ?code ?same WHERE { ?place a dcterms:Location ; skos:notation ?code ; owl:sameAs ?same }",
    )
    assert len(rows) == 35
    for row in rows:
        assert row["place"].endswith(f"/id/place/{row['code']}")
        assert row["same"] == f"http://statistics.data.gov.uk/id/statistical-geography/{row['code']}"


def test_colliding_place_names_are_distinct_places(seeded_store):
    rows = select(seeded_store, 'SELECT ?place WHERE { ?place a dcterms:Location ; skos:prefLabel "North East"@en }')
    assert {r["place"].rsplit("/", 1)[1] for r in rows} == {"E12000001", "E47000005", "E47000010", "E47000014"}


def test_nations_regions_and_welsh_names(seeded_store):
    rows = select(seeded_store, "SELECT ?p WHERE { ?p dcterms:type <def/place-type/country> }")
    assert len(rows) == 4
    rows = select(
        seeded_store,
        "SELECT ?p WHERE { ?p dcterms:type <def/place-type/english-region> ; geo:sfWithin <id/place/E92000001> }",
    )
    assert len(rows) == 9
    assert ask(seeded_store, 'ASK { <id/place/W92000004> skos:prefLabel "Cymru"@cy, "Wales"@en }')
    assert ask(seeded_store, 'ASK { <id/place/E92000001> skos:prefLabel "Lloegr"@cy }')


def test_every_cited_source_is_described_with_its_quality(seeded_store):
    rows = select(
        seeded_store,
        """SELECT DISTINCT ?source WHERE {
             ?s dcterms:source ?source .
             FILTER NOT EXISTS { ?source eco:sourceQuality ?q ; dcterms:title ?t }
           }""",
    )
    assert rows == []


@pytest.mark.skipif(not REFERENCE.is_file(), reason="the shared reference facts are not beside this checkout")
def test_every_identifier_in_the_seed_is_verified_by_the_reference_or_shown_by_its_own_source(seeded_store):
    """A registry number is in the verified reference facts, or its identifier cites the page that shows it (issue 22:
    no identifier without a source that shows it); a Wikidata id only from the reference facts."""
    reference = REFERENCE.read_text(encoding="utf-8")
    numbers = select(
        seeded_store,
        """SELECT ?n (SAMPLE(?source) AS ?shown_by) WHERE {
             ?i a adms:Identifier ; skos:notation ?n OPTIONAL { ?i dcterms:source ?source . ?source eco:sourceQuality ?q }
           } GROUP BY ?n""",
    )
    qids = select(seeded_store, "SELECT ?q WHERE { ?o skos:exactMatch ?q FILTER(CONTAINS(STR(?q), 'wikidata')) }")
    assert numbers and qids
    verified = [row for row in numbers if re.search(rf"\b{re.escape(row['n'])}\b", reference)]
    assert len(verified) >= 7
    for row in numbers:
        assert row in verified or row.get("shown_by"), (
            f"{row['n']} is in no reference fact and cites no described source"
        )
    for row in qids:
        qid = row["q"].rsplit("/", 1)[1]
        assert f"Wikidata {qid}" in reference, f"{qid} is not verified by the reference facts"
