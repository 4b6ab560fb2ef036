"""Splitting submitted statements into the records they will become."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from conftest import one_pass_only

from graph.contributions.ownership import Owners, misplaced
from graph.contributions.submissions import split_into_records
from graph.initialise import read_seed_records
from graph.rdf.identity import Identity

pytestmark = one_pass_only

IDENTITY = Identity("http://127.0.0.1:8000")


def test_splitting_the_seed_statements_gives_back_the_seed_records():
    seed = read_seed_records(IDENTITY)
    statements = [q.triple for quads in seed.values() for q in quads]
    split = split_into_records(statements, IDENTITY)
    expected = {graph: {str(q.triple) for q in quads} for graph, quads in seed.items()}
    assert {graph: {str(t) for t in triples} for graph, triples in split.records.items()} == expected
    assert split.problems == [] and split.additions == {}


def test_an_activity_without_its_organisation_is_a_record_of_its_own():
    activity = ox.NamedNode(IDENTITY.resolve("id/activity/solo"))
    triples = [
        ox.Triple(
            activity,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode(IDENTITY.resolve("def/ecosystem/Activity")),
        ),
        ox.Triple(
            activity,
            ox.NamedNode(IDENTITY.resolve("def/ecosystem/runBy")),
            ox.NamedNode(IDENTITY.resolve("id/organisation/odi")),
        ),
    ]
    assert list(split_into_records(triples, IDENTITY).records) == [IDENTITY.resolve("data/activity/solo")]


def test_things_outside_ecomaps_iris_are_refused_with_a_reason():
    outsider = ox.NamedNode("https://elsewhere.example/org")
    triples = [
        ox.Triple(
            outsider,
            ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            ox.NamedNode("http://www.w3.org/ns/org#Organization"),
        )
    ]
    split = split_into_records(triples, IDENTITY)
    assert split.records == {} and "needs an ecomap IRI of its own" in split.problems[0]


BASE = IDENTITY.base
RDF_TYPE = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
ALT_LABEL = ox.NamedNode("http://www.w3.org/2004/02/skos/core#altLabel")
IS_PART_OF = ox.NamedNode("http://purl.org/dc/terms/isPartOf")
RUN_BY = ox.NamedNode(f"{BASE}/def/ecosystem/runBy")
ORGANIZATION = ox.NamedNode("http://www.w3.org/ns/org#Organization")
ACTIVITY = ox.NamedNode(f"{BASE}/def/ecosystem/Activity")
ODI, NEW = ox.NamedNode(f"{BASE}/id/organisation/odi"), ox.NamedNode(f"{BASE}/id/organisation/innocent-co")
GUIDE = ox.NamedNode(f"{BASE}/id/activity/odi-data-sharing-risk-guide")
ON_THE_MAP = Owners(
    records={
        ODI.value: f"{BASE}/data/organisation/odi",
        GUIDE.value: f"{BASE}/data/organisation/odi",
        f"{BASE}/id/activity/standalone": f"{BASE}/data/activity/standalone",
    },
    reference={"https://www.gov.uk/guidance": f"{BASE}/data/sources"},
)


def label(subject: ox.NamedNode, text: str) -> ox.Triple:
    return ox.Triple(subject, ALT_LABEL, ox.Literal(text, language="en"))


def new_organisation() -> list[ox.Triple]:
    return [ox.Triple(NEW, RDF_TYPE, ORGANIZATION), label(NEW, "Innocent Co")]


def test_statements_about_another_records_topic_are_additions_to_that_record_not_part_of_the_new_one():
    """Before, an untyped subject joined the record that pointed to it (here by dcterms:isPartOf)."""
    hijack = [label(ODI, "ODI (now owned by Innocent Co)"), ox.Triple(ODI, IS_PART_OF, NEW)]
    split = split_into_records(new_organisation() + hijack, IDENTITY, ON_THE_MAP)
    assert split.records == {f"{BASE}/data/organisation/innocent-co": new_organisation()}
    assert split.additions == {f"{BASE}/data/organisation/odi": hijack}
    assert split.graphs == [f"{BASE}/data/organisation/innocent-co", f"{BASE}/data/organisation/odi"]


def test_a_record_sent_whole_keeps_what_is_said_about_its_subjects():
    correction = [ox.Triple(ODI, RDF_TYPE, ORGANIZATION), label(ODI, "Open Data Institute"), label(GUIDE, "Guide")]
    split = split_into_records(correction, IDENTITY, ON_THE_MAP)
    assert split.records == {f"{BASE}/data/organisation/odi": correction} and split.additions == {}


def test_an_activity_with_a_key_another_record_holds_never_becomes_a_record_of_its_own():
    """Before, a typed activity with an existing key got a second graph, data/activity/<key>."""
    activity = [ox.Triple(GUIDE, RDF_TYPE, ACTIVITY), ox.Triple(GUIDE, RUN_BY, NEW), label(GUIDE, "Our guide")]
    split = split_into_records(new_organisation() + activity, IDENTITY, ON_THE_MAP)
    assert f"{BASE}/data/activity/odi-data-sharing-risk-guide" not in split.graphs
    assert split.additions == {f"{BASE}/data/organisation/odi": activity}


def test_an_activity_that_is_a_record_of_its_own_stays_one_when_an_organisation_runs_it():
    standalone = ox.NamedNode(f"{BASE}/id/activity/standalone")
    activity = [ox.Triple(standalone, RDF_TYPE, ACTIVITY), ox.Triple(standalone, RUN_BY, NEW)]
    split = split_into_records(new_organisation() + activity, IDENTITY, ON_THE_MAP)
    assert split.records[f"{BASE}/data/activity/standalone"] == activity


def test_an_untyped_organisation_does_not_join_the_record_that_points_to_it():
    other = ox.NamedNode(f"{BASE}/id/organisation/not-on-the-map")
    split = split_into_records([*new_organisation(), label(other, "x"), ox.Triple(other, IS_PART_OF, NEW)], IDENTITY)
    assert list(split.records) == [f"{BASE}/data/organisation/innocent-co"]
    assert "<id/organisation/not-on-the-map> is not an organisation" in split.problems[0]


@pytest.mark.parametrize(
    ("subject", "why"),
    [
        (f"{BASE}/def/ecosystem/Activity", "part of ecomap's ontology, vocabularies or shapes"),
        (f"{BASE}/def/nds-pillar/data-skills", "part of ecomap's ontology, vocabularies or shapes"),
        (f"{BASE}/id/place/W92000004", "a place from ecomap's reference data"),
        (f"{BASE}/data/metadata", "one of ecomap's graphs or their metadata"),
        ("https://www.gov.uk/guidance", f"described by ecomap's reference data (<{BASE}/data/sources>)"),
    ],
    ids=["ontology", "concept", "place", "metadata", "source"],
)
def test_statements_about_the_reference_data_are_refused_with_a_reason(subject, why):
    split = split_into_records([*new_organisation(), label(ox.NamedNode(subject), "x")], IDENTITY, ON_THE_MAP)
    assert any(why in problem and "no submission may state things about it" in problem for problem in split.problems)
    assert all(t.subject.value != subject for ts in (*split.records.values(), *split.additions.values()) for t in ts)


def test_the_seed_records_own_every_subject_they_state_things_about():
    quads = [q for quads in read_seed_records(IDENTITY).values() for q in quads]
    assert misplaced(quads, IDENTITY) == []
