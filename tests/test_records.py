"""Splitting submitted statements into the records they will become."""

from __future__ import annotations

import pyoxigraph as ox
from conftest import one_pass_only

from graph.identity import Identity
from graph.initialise import read_seed_records
from graph.submissions import split_into_records

pytestmark = one_pass_only

IDENTITY = Identity("http://127.0.0.1:8000")


def test_splitting_the_seed_statements_gives_back_the_seed_records():
    """Editors' alignments between concepts are the one thing contributors do not send."""
    seed = read_seed_records(IDENTITY)
    statements = [q.triple for quads in seed.values() for q in quads]
    split = split_into_records(statements, IDENTITY)
    expected = {graph: {str(q.triple) for q in quads} for graph, quads in seed.items()}
    got = {graph: {str(t) for t in triples} for graph, triples in split.records.items()}
    editorial = f"{IDENTITY.base}/data/strategy/national-ai-strategy"
    assert {g: v for g, v in got.items() if g != editorial} == {g: v for g, v in expected.items() if g != editorial}
    assert all("ai-strategy-pillar" in problem or "judgement/ai-" in problem for problem in split.problems)


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
