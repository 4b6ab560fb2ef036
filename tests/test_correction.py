"""Merging a form's correction with the published record: what the form showed is replaced, the rest is kept
unless it only described something the correction took away."""

from __future__ import annotations

import pyoxigraph as ox
from conftest import one_pass_only

from graph.contributions.correction import carry_over

pytestmark = one_pass_only

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"


def n(name: str) -> ox.NamedNode:
    return ox.NamedNode(f"http://example.org/{name}")


def rdf(name: str) -> ox.NamedNode:
    return ox.NamedNode(RDF + name)


ORG, ACTIVITY, OLD_ID, JUDGEMENT = n("org"), n("activity"), n("id/old"), n("judgement")
NAME, ALT, IDENTIFIER, NOTATION, SOURCE, SUPPORTS, RUN_BY = (
    n(p) for p in ("name", "altName", "identifier", "notation", "source", "supports", "runBy")
)
PUBLISHED = [
    ox.Triple(ORG, NAME, ox.Literal("Old Name")),
    ox.Triple(ORG, ALT, ox.Literal("ON")),
    ox.Triple(ORG, IDENTIFIER, OLD_ID),
    ox.Triple(OLD_ID, NOTATION, ox.Literal("01234567")),
    ox.Triple(OLD_ID, SOURCE, n("register")),
    ox.Triple(ACTIVITY, RUN_BY, ORG),
    ox.Triple(ACTIVITY, SUPPORTS, n("pillar")),
    ox.Triple(JUDGEMENT, rdf("subject"), ACTIVITY),
    ox.Triple(JUDGEMENT, rdf("predicate"), SUPPORTS),
    ox.Triple(JUDGEMENT, rdf("object"), n("pillar")),
]


def test_what_the_form_did_not_show_is_kept():
    replaced = {PUBLISHED[0]}
    proposed = [ox.Triple(ORG, NAME, ox.Literal("New Name"))]
    merged = set(carry_over(PUBLISHED, replaced, proposed))
    assert merged == (set(PUBLISHED) - replaced) | set(proposed)


def test_what_only_described_a_removed_value_goes_with_it():
    replaced = {PUBLISHED[2], PUBLISHED[6]}  # the identifier and the activity's supports, both shown
    proposed = [
        ox.Triple(ORG, IDENTIFIER, n("id/new")),
        ox.Triple(n("id/new"), NOTATION, ox.Literal("07654321")),
        ox.Triple(ACTIVITY, RUN_BY, ORG),
    ]
    merged = set(carry_over(PUBLISHED, replaced, proposed))
    assert not {t for t in merged if t.subject in (OLD_ID, JUDGEMENT)}, "orphaned identifier and judgement dropped"
    assert ox.Triple(ORG, ALT, ox.Literal("ON")) in merged
    assert set(proposed) <= merged


def test_a_judgement_stays_while_its_statement_is_still_made():
    replaced = {PUBLISHED[6]}
    proposed = [ox.Triple(ACTIVITY, SUPPORTS, n("pillar")), ox.Triple(ACTIVITY, RUN_BY, ORG)]
    merged = set(carry_over(PUBLISHED, replaced, proposed))
    assert {t for t in PUBLISHED if t.subject == JUDGEMENT} <= merged
