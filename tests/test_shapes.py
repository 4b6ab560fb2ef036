"""Every SHACL constraint fires on a record that breaks it, with its own plain-English message.

Each case is a small record that is valid but for one fault. The meta-test at the end makes sure no
constraint in ``shapes/`` goes without a case.
"""

from __future__ import annotations

import gc
import tracemalloc
from dataclasses import dataclass

import anyio
import pyshacl
import pytest
import rdflib
import web
from conftest import SAME_OVER_EITHER, one_pass, one_pass_only, start_app, stop_server
from rdflib.namespace import RDF, SH

from graph.catalogue import shape_files
from graph.contributions.validation import Validator, known_things
from graph.rdf.convert import to_rdflib
from graph.rdf.parsing import parse_all

pytestmark = one_pass("embedded", SAME_OVER_EITHER)

BASE = "http://127.0.0.1:8000"
SHP = f"{BASE}/def/shapes/"
SKOS_PREF_LABEL = "http://www.w3.org/2004/02/skos/core#prefLabel"

PREFIXES = """
@prefix eco: <def/ecosystem/> .
@prefix rdf: <http://www.w3.org/1999/02/22-rdf-syntax-ns#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix org: <http://www.w3.org/ns/org#> .
@prefix adms: <http://www.w3.org/ns/adms#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix owl: <http://www.w3.org/2002/07/owl#> .
@prefix schema: <https://schema.org/> .
@prefix geo: <http://www.opengis.net/ont/geosparql#> .
@prefix kind: <def/organisation-kind/> .
@prefix akind: <def/activity-kind/> .
@prefix rel: <def/relationship-kind/> .
@prefix topic: <def/topic/> .
@prefix place: <id/place/> .
@prefix register: <def/register/> .
"""

# Valid records, one per kind: subject and type, then predicate -> objects.
VALID: dict[str, tuple[str, dict[str, str]]] = {
    "organisation": (
        "<id/organisation/test> a org:Organization",
        {
            "skos:prefLabel": '"Test Organisation"@en',
            "eco:organisationKind": "kind:company",
            "foaf:homepage": "<https://test.example/>",
            "eco:basedIn": "place:E12000007",
            "adms:identifier": "<id/identifier/GB-COH-12345678>",
            "dcterms:source": "<https://test.example/about>",
        },
    ),
    "identifier": (
        "<id/identifier/GB-COH-12345678> a adms:Identifier",
        {"skos:notation": '"12345678"^^register:GB-COH', "dcterms:source": "<https://test.example/about>"},
    ),
    "activity": (
        "<id/activity/test> a eco:Activity",
        {
            "skos:prefLabel": '"Test programme"@en',
            "eco:activityKind": "akind:programme",
            "eco:runBy": "<id/organisation/odi>",
            "eco:supports": "<def/m1-priority-area/establish-foundations>",
            "dcterms:subject": "topic:data-sharing",
            "dcterms:spatial": "place:W92000004",
            "schema:startDate": '"2022-01"^^xsd:gYearMonth',
            "schema:endDate": '"2023-06"^^xsd:gYearMonth',
            "dcterms:source": "<https://test.example/programme>",
        },
    ),
    "relationship": (
        "<id/relationship/test> a eco:Relationship",
        {
            "eco:fromOrganisation": "<id/organisation/odi>",
            "eco:relationshipKind": "rel:supports",
            "eco:toOrganisation": "<id/organisation/dcms>",
            "eco:concerning": "<id/activity/mapping-the-data-ecosystem-pilot>",
            "schema:startDate": '"2022-03-24"^^xsd:date',
            "dcterms:source": "<https://test.example/relationship>",
        },
    ),
    "person": (
        "<id/person/test> a foaf:Person",
        {
            "foaf:name": '"Test Person"',
            "org:holds": "<id/post/test>",
            "dcterms:source": "<https://test.example/people>",
        },
    ),
    "post": (
        "<id/post/test> a org:Post",
        {
            "skos:prefLabel": '"Chair, Test Organisation"@en',
            "org:postIn": "<id/organisation/odi>",
            "org:heldBy": "<id/person/sue-daley>",
        },
    ),
    "strategy": (
        "<id/strategy/test> a eco:Strategy",
        {
            "skos:prefLabel": '"Test Strategy"@en',
            "dcterms:publisher": "<id/organisation/dcms>",
            "foaf:page": "<https://www.gov.uk/test-strategy>",
        },
    ),
    "judgement": (
        "<id/judgement/test> a eco:EditorialJudgement",
        {
            "rdf:subject": "<id/activity/odi-data-sharing-risk-guide>",
            "rdf:predicate": "eco:supports",
            "rdf:object": "<def/m1-principle/address-risks>",
            "eco:rationale": '"The guide helps organisations manage the risks of sharing data."@en',
        },
    ),
    "place": (
        "<id/place/E12000099> a dcterms:Location",
        {
            "skos:notation": '"E12000099"^^eco:GSSCode',
            "skos:prefLabel": '"Test Region"@en',
            "dcterms:type": "<def/place-type/english-region>",
            "geo:sfWithin": "place:E92000001",
            "owl:sameAs": "<http://statistics.data.gov.uk/id/statistical-geography/E12000099>",
        },
    ),
    "record": (
        "<data/organisation/test> a eco:Record",
        {
            "foaf:primaryTopic": "<id/organisation/test>",
            "eco:status": "<def/record-status/pending>",
            "eco:contributorRole": "<def/contributor-role/organisation>",
            "dcterms:created": '"2026-11-28T10:00:00+00:00"^^xsd:dateTime',
        },
    ),
    "concept": (
        "<def/topic/test> a skos:Concept",
        {"skos:prefLabel": '"Test topic"@en', "skos:inScheme": "<def/topic>"},
    ),
    "document": (
        "<https://test.example/about> a foaf:Document",
        {"dcterms:title": '"About us"@en', "eco:sourceQuality": "<def/source-quality/primary-publication>"},
    ),
}


# What a record of each kind refers to and needs beside it to be valid.
COMPANIONS = {"organisation": "identifier", "person": "post", "post": "person"}


def statements(
    kind: str, without: tuple[str, ...] = (), add: tuple[tuple[str, str], ...] = (), subject: str = ""
) -> str:
    head, body = VALID[kind]
    if subject:
        head = subject + head[head.index(" a ") :]
    pairs = [(p, o) for p, o in body.items() if p not in without] + list(add)
    return head + "".join(f" ;\n    {p} {o}" for p, o in pairs) + " .\n"


def record(kind: str, without: tuple[str, ...] = (), add: tuple[tuple[str, str], ...] = (), subject: str = "") -> str:
    """A valid record of ``kind`` (with what it needs beside it), less ``without``, plus ``add``, or another subject."""
    companion = statements(COMPANIONS[kind]) if kind in COMPANIONS else ""
    return statements(kind, without, add, subject) + companion


@dataclass(frozen=True)
class Case:
    name: str
    shape: str
    severity: str
    turtle: str


V, W = "Violation", "Warning"
CASES = [
    # Organisations
    Case("organisation without an IRI", "OrganisationShape", V, record("organisation", subject="[]")),
    Case("organisation without a name", "organisation-name", V, record("organisation", ("skos:prefLabel",))),
    Case(
        "name without a language",
        "organisation-name-language",
        V,
        record("organisation", ("skos:prefLabel",), (("skos:prefLabel", '"Test Organisation"'),)),
    ),
    Case(
        "two English names",
        "organisation-name-per-language",
        V,
        record("organisation", add=(("skos:prefLabel", '"Test Org"@en'),)),
    ),
    Case(
        "unknown kind", "organisation-kind", V, record("organisation", add=(("eco:organisationKind", "kind:unicorn"),))
    ),
    Case("no kind", "organisation-kind-given", W, record("organisation", ("eco:organisationKind",))),
    Case(
        "website not http",
        "organisation-website",
        V,
        record("organisation", ("foaf:homepage",), (("foaf:homepage", "<ftp://test.example/>"),)),
    ),
    Case("no website", "organisation-website-given", W, record("organisation", ("foaf:homepage",))),
    Case("organisation without source", "organisation-source-given", W, record("organisation", ("dcterms:source",))),
    Case("organisation without place", "organisation-place-given", W, record("organisation", ("eco:basedIn",))),
    Case(
        "based in an unknown place",
        "organisation-based-in",
        V,
        record("organisation", add=(("eco:basedIn", "place:X99999999"),)),
    ),
    Case(
        "operates in an unknown place",
        "organisation-operates-in",
        V,
        record("organisation", add=(("eco:operatesIn", "<id/place/atlantis>"),)),
    ),
    Case(
        "authority for an unknown area",
        "organisation-authority-for",
        V,
        record("organisation", add=(("eco:authorityFor", "<id/place/atlantis>"),)),
    ),
    Case(
        "identifier that is not an identifier",
        "organisation-identifier",
        V,
        record("organisation", ("adms:identifier",), (("adms:identifier", "<https://test.example/number>"),)),
    ),
    Case(
        "wikidata page instead of entity",
        "organisation-wikidata",
        V,
        record("organisation", add=(("skos:exactMatch", "<https://www.wikidata.org/wiki/Q42>"),)),
    ),
    Case(
        "unit of an unknown organisation",
        "organisation-unit-of",
        V,
        record("organisation", add=(("org:unitOf", "<id/organisation/nobody>"),)),
    ),
    Case(
        "subsidiary of an unknown organisation",
        "organisation-sub-organisation-of",
        V,
        record("organisation", add=(("org:subOrganizationOf", "<id/organisation/nobody>"),)),
    ),
    # Registry identifiers
    Case("identifier as a blank node", "IdentifierShape", V, record("identifier", subject="[]")),
    Case("identifier without a number", "identifier-notation", V, record("identifier", ("skos:notation",))),
    Case(
        "number without a register",
        "identifier-register",
        V,
        record("identifier", ("skos:notation",), (("skos:notation", '"12345678"'),)),
    ),
    Case(
        "company number too short",
        "company-number",
        V,
        record("identifier", ("skos:notation",), (("skos:notation", '"8030289"^^register:GB-COH'),)),
    ),
    Case(
        "company number in lower case",
        "company-number",
        V,
        record("identifier", ("skos:notation",), (("skos:notation", '"sc709914"^^register:GB-COH'),)),
    ),
    Case(
        "charity number with letters",
        "charity-number",
        V,
        record("identifier", ("skos:notation",), (("skos:notation", '"CC207043"^^register:GB-CHC'),)),
    ),
    Case(
        "Scottish charity number without SC",
        "scottish-charity-number",
        V,
        record("identifier", ("skos:notation",), (("skos:notation", '"042833"^^register:GB-SC'),)),
    ),
    # Sources
    Case(
        "source as text",
        "source-form",
        V,
        record("organisation", ("dcterms:source",), (("dcterms:source", '"the annual report"'),)),
    ),
    Case("document without quality", "document-quality", V, record("document", ("eco:sourceQuality",))),
    # Activities
    Case("activity without an IRI", "ActivityShape", V, record("activity", subject="[]")),
    Case(
        "activity description too long",
        "activity-description",
        V,
        record("activity", add=(("dcterms:description", '"' + "y" * 2001 + '"@en'),)),
    ),
    Case("activity without a name", "activity-name", V, record("activity", ("skos:prefLabel",))),
    Case(
        "activity description too long",
        "activity-description",
        V,
        record("activity", add=(("dcterms:description", '"' + "y" * 2001 + '"@en'),)),
    ),
    Case(
        "organisation description too long",
        "organisation-description",
        V,
        record("organisation", add=(("dcterms:description", '"' + "x" * 2001 + '"@en'),)),
    ),
    Case(
        "activity name without a language",
        "activity-name-language",
        V,
        record("activity", ("skos:prefLabel",), (("skos:prefLabel", '"Test programme"'),)),
    ),
    Case(
        "unknown activity kind",
        "activity-kind",
        V,
        record("activity", ("eco:activityKind",), (("eco:activityKind", "akind:party"),)),
    ),
    Case("no activity kind", "activity-kind-given", W, record("activity", ("eco:activityKind",))),
    Case(
        "priority area not in the scheme",
        "activity-supports",
        V,
        record("activity", add=(("eco:supports", "<def/m1-priority-area/world-peace>"),)),
    ),
    Case(
        "supports a topic, not a framework concept",
        "activity-supports",
        V,
        record("activity", add=(("eco:supports", "topic:data-sharing"),)),
    ),
    Case("unknown topic", "activity-topic", V, record("activity", add=(("dcterms:subject", "topic:astrology"),))),
    Case(
        "unknown suggested topic",
        "activity-suggested-topic",
        V,
        record("activity", add=(("eco:suggestedTopic", "akind:event"),)),
    ),
    Case("nobody runs it", "activity-who-given", W, record("activity", ("eco:runBy",))),
    Case(
        "led by someone unknown",
        "activity-led-by",
        V,
        record("activity", add=(("eco:ledBy", "<id/organisation/nobody>"),)),
    ),
    Case(
        "run by someone unknown",
        "activity-run-by",
        V,
        record("activity", ("eco:runBy",), (("eco:runBy", "<id/organisation/nobody>"),)),
    ),
    Case(
        "hosted by someone unknown",
        "activity-hosted-by",
        V,
        record("activity", add=(("eco:hostedBy", "<id/person/nobody>"),)),
    ),
    Case(
        "unknown participant",
        "activity-participant",
        V,
        record("activity", add=(("eco:participant", "<id/organisation/nobody>"),)),
    ),
    Case(
        "activity in an unknown place",
        "activity-place",
        V,
        record("activity", ("dcterms:spatial",), (("dcterms:spatial", "place:Z12345678"),)),
    ),
    Case("activity without a place", "activity-place-given", W, record("activity", ("dcterms:spatial",))),
    Case(
        "part of something unknown",
        "activity-part-of",
        V,
        record("activity", add=(("dcterms:isPartOf", "<id/activity/nothing>"),)),
    ),
    Case(
        "discussed something unknown",
        "activity-discussed",
        V,
        record("activity", add=(("eco:discussed", "<id/organisation/odi>"),)),
    ),
    Case("activity without source", "activity-source-given", W, record("activity", ("dcterms:source",))),
    Case(
        "start date as plain text",
        "start-date-form",
        V,
        record("activity", ("schema:startDate",), (("schema:startDate", '"January 2022"'),)),
    ),
    Case(
        "two start dates",
        "start-date-form",
        V,
        record("activity", add=(("schema:startDate", '"2022-02"^^xsd:gYearMonth'),)),
    ),
    Case(
        "end date as a dateTime",
        "end-date-form",
        V,
        record("activity", ("schema:endDate",), (("schema:endDate", '"2023-06-01T00:00:00"^^xsd:dateTime'),)),
    ),
    Case(
        "end before start",
        "end-not-before-start",
        V,
        record("activity", ("schema:endDate",), (("schema:endDate", '"2021-12"^^xsd:gYearMonth'),)),
    ),
    Case(
        "year-month start after a year end",
        "end-not-before-start",
        V,
        record("activity", ("schema:endDate",), (("schema:endDate", '"2021"^^xsd:gYear'),)),
    ),
    Case(
        "a full date against a month",
        "end-not-before-start",
        V,
        record("activity", ("schema:endDate",), (("schema:endDate", '"2023-06-01"^^xsd:date'),)),
    ),
    Case(
        "impossible calendar date",
        "end-date-form",
        V,
        record("activity", ("schema:endDate",), (("schema:endDate", '"2023-02-30"^^xsd:date'),)),
    ),
    # Relationships
    Case("relationship without an IRI", "RelationshipShape", V, record("relationship", subject="[]")),
    Case("relationship from nobody", "relationship-from", V, record("relationship", ("eco:fromOrganisation",))),
    Case(
        "relationship to an unknown organisation",
        "relationship-to",
        V,
        record("relationship", ("eco:toOrganisation",), (("eco:toOrganisation", "<id/organisation/nobody>"),)),
    ),
    Case(
        "relationship with itself",
        "relationship-not-to-itself",
        V,
        record("relationship", ("eco:toOrganisation",), (("eco:toOrganisation", "<id/organisation/odi>"),)),
    ),
    Case(
        "relationship of unknown kind",
        "relationship-kind",
        V,
        record("relationship", ("eco:relationshipKind",), (("eco:relationshipKind", "rel:marries"),)),
    ),
    Case(
        "relationship about an unknown activity",
        "relationship-concerning",
        V,
        record("relationship", ("eco:concerning",), (("eco:concerning", "<id/activity/nothing>"),)),
    ),
    Case("relationship without source", "relationship-source-given", W, record("relationship", ("dcterms:source",))),
    Case(
        "relationship ends before it starts",
        "end-not-before-start",
        V,
        record("relationship", add=(("schema:endDate", '"2021-01-01"^^xsd:date'),)),
    ),
    # People and posts
    Case(
        "a person's e-mail address",
        "PersonShape",
        V,
        record("person", add=(("foaf:mbox", "<mailto:someone@test.example>"),)),
    ),
    Case("person without a name", "person-name", V, record("person", ("foaf:name",))),
    Case("person without a public post", "person-holds", V, record("person", ("org:holds",))),
    Case("post without a title", "post-title", V, record("post", ("skos:prefLabel",))),
    Case("post in no organisation", "post-in", V, record("post", ("org:postIn",))),
    Case(
        "post held by an organisation",
        "post-held-by",
        V,
        record("post", ("org:heldBy",), (("org:heldBy", "<id/organisation/odi>"),)),
    ),
    # Strategies, judgements, records, concepts, places
    Case("strategy without an IRI", "StrategyShape", V, record("strategy", subject="[]")),
    Case("strategy without a title", "strategy-name", V, record("strategy", ("skos:prefLabel",))),
    Case("strategy without a publisher", "strategy-publisher", V, record("strategy", ("dcterms:publisher",))),
    Case("strategy without a page", "strategy-page", V, record("strategy", ("foaf:page",))),
    Case("judgement without an IRI", "EditorialJudgementShape", V, record("judgement", subject="[]")),
    Case("judgement without subject", "judgement-statement-subject", V, record("judgement", ("rdf:subject",))),
    Case("judgement without property", "judgement-statement-predicate", V, record("judgement", ("rdf:predicate",))),
    Case("judgement without value", "judgement-statement-object", V, record("judgement", ("rdf:object",))),
    Case(
        "judgement about a property named in words",
        "judgement-property-iri",
        V,
        record("judgement", ("rdf:predicate",), (("rdf:predicate", '"supports"@en'),)),
    ),
    Case("judgement without rationale", "judgement-rationale", V, record("judgement", ("eco:rationale",))),
    Case("record about nothing", "record-topic", V, record("record", ("foaf:primaryTopic",))),
    Case(
        "record with an unknown status",
        "record-status",
        V,
        record("record", ("eco:status",), (("eco:status", "<def/record-status/lost>"),)),
    ),
    Case("record without contributor role", "record-contributor-role", V, record("record", ("eco:contributorRole",))),
    Case(
        "record created on a date only",
        "record-created",
        V,
        record("record", ("dcterms:created",), (("dcterms:created", '"2026-11-28"^^xsd:date'),)),
    ),
    Case("concept without a label", "concept-label", V, record("concept", ("skos:prefLabel",))),
    Case("concept in no scheme", "concept-scheme", V, record("concept", ("skos:inScheme",))),
    Case(
        "GSS code of the wrong form",
        "place-gss-code",
        V,
        record("place", ("skos:notation",), (("skos:notation", '"E1200009"^^eco:GSSCode'),)),
    ),
    Case("place without a name", "place-name", V, record("place", ("skos:prefLabel",))),
    Case(
        "place of unknown type",
        "place-type",
        V,
        record("place", ("dcterms:type",), (("dcterms:type", "<def/place-type/village>"),)),
    ),
    Case(
        "place within an unknown place",
        "place-within",
        V,
        record("place", ("geo:sfWithin",), (("geo:sfWithin", "<id/place/atlantis>"),)),
    ),
    Case(
        "place same as something other than ONS",
        "place-ons",
        V,
        record("place", add=(("owl:sameAs", "<http://www.wikidata.org/entity/Q42>"),)),
    ),
]


def with_known(data: rdflib.Graph, store) -> tuple[rdflib.Graph, rdflib.Graph]:
    return data, anyio.run(known_things, data, store)


def parse(tmp_path, turtle: str) -> rdflib.Graph:
    path = tmp_path / "case.ttl"
    path.write_text(PREFIXES + turtle, encoding="utf-8")
    return to_rdflib(parse_all(path, base_iri=BASE + "/"))


@pytest.fixture(scope="module")
def shapes(validator) -> rdflib.Graph:
    return validator.shapes


@one_pass_only
@pytest.mark.parametrize("kind", sorted(VALID))
def test_the_valid_record_of_each_kind_has_no_findings(kind, tmp_path, validator, seeded_store):
    report = validator.validate(*with_known(parse(tmp_path, record(kind)), seeded_store))
    assert report.findings == [], [(f.field, f.message) for f in report.findings]


@one_pass_only
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_constraint_fires_with_its_message(case, tmp_path, validator, seeded_store, shapes):
    report = validator.validate(*with_known(parse(tmp_path, case.turtle), seeded_store))
    shape = rdflib.URIRef(SHP + case.shape)
    expected_message = str(shapes.value(shape, SH.message))
    matching = [f for f in report.findings if f.shape == str(shape)]
    assert matching, f"{case.shape} did not fire; got {[f.shape.rsplit('/', 1)[1] for f in report.findings]}"
    assert all(f.severity == case.severity for f in matching)
    assert all(f.message == expected_message for f in matching)
    assert report.conforms == (case.severity != "Violation")


@one_pass_only
@pytest.mark.parametrize(
    ("start", "end"),
    [('"2022"^^xsd:gYear', '"2022-01"^^xsd:gYearMonth'), ('"2021-12"^^xsd:gYearMonth', '"2022"^^xsd:gYear')],
)
def test_years_and_months_are_compared_as_far_as_both_go(start, end, tmp_path, validator, seeded_store):
    turtle = record(
        "activity", ("schema:startDate", "schema:endDate"), (("schema:startDate", start), ("schema:endDate", end))
    )
    assert validator.validate(*with_known(parse(tmp_path, turtle), seeded_store)).findings == []


def found_in_a_fresh_union(validator, data: rdflib.Graph, known: rdflib.Graph) -> list[tuple[str, ...]]:
    """What pySHACL finds about ``data`` checking the whole union of the data, the context and ``known``, built anew."""
    _, results, _ = pyshacl.validate(
        data + validator.context + known, shacl_graph=validator.shapes, inference="none", allow_warnings=True
    )
    described = set(data.subjects())
    return sorted(
        (
            str(results.value(r, SH.focusNode)),
            str(results.value(r, SH.sourceShape)),
            str(results.value(r, SH.resultMessage)),
        )
        for r in results.objects(None, SH.result)
        if results.value(r, SH.focusNode) in described
    )


@one_pass_only
@pytest.mark.parametrize(
    "turtle",
    [record(kind) for kind in sorted(VALID)]
    + [
        # a blank node where an IRI is needed, with a fault of its own
        "<id/organisation/test> adms:identifier [ a adms:Identifier ; skos:notation 12 ] .",
        # statements the context already holds (taken out afterwards, they would be lost to the next validation)
        '<def/activity-kind/programme> a skos:Concept ; skos:prefLabel "Programme"@en ; skos:inScheme <def/activity-kind> .',
        record("organisation", add=(("eco:organisationKind", "kind:unicorn"),)),  # a value an sh:node checks
        # an instance of a subclass (rov:RegisteredOrganization) of the class a shape targets, without its name
        "<id/organisation/test> a <http://www.w3.org/ns/regorg#RegisteredOrganization> .",
    ],
)
def test_validation_finds_what_checking_a_fresh_union_of_everything_finds(turtle, tmp_path, validator, seeded_store):
    """The validator keeps the context in one graph, adds the data for the check and takes it out afterwards, and
    points each shape at the things the data describes (its speed): it must find what pySHACL finds checking a union
    built anew with the shapes as written, and leave the context and the shapes as they were."""
    data, known = with_known(parse(tmp_path, turtle), seeded_store)
    report = validator.validate(data, known)
    assert sorted((f.focus, f.shape, f.message) for f in report.findings) == found_in_a_fresh_union(
        validator, data, known
    )
    assert set(validator._seen) == set(validator.context)
    assert set(validator._targeted) == set(validator.shapes) - set(validator._targets)


def constraint_shapes(shapes: rdflib.Graph) -> set[str]:
    """Named property shapes, and node shapes with constraints of their own (they carry a message)."""
    named = {s for s in shapes.subjects(RDF.type, SH.PropertyShape) if isinstance(s, rdflib.URIRef)}
    named |= {s for s in shapes.subjects(SH.message, None) if isinstance(s, rdflib.URIRef)}
    return {str(s)[len(SHP) :] for s in named}


@one_pass_only
def test_every_constraint_has_a_case(shapes):
    untested = constraint_shapes(shapes) - {c.shape for c in CASES}
    assert not untested, f"constraints without a non-conforming example: {sorted(untested)}"


@one_pass_only
def test_every_constraint_speaks_to_a_contributor(shapes):
    for name in constraint_shapes(shapes):
        shape = rdflib.URIRef(SHP + name)
        message = shapes.value(shape, SH.message)
        assert message is not None and len(str(message).split()) >= 5, name
        assert "sh:" not in str(message) and "focus node" not in str(message).lower(), name
        assert shapes.value(shape, SH.severity) in (SH.Violation, SH.Warning), name
        if (shape, RDF.type, SH.PropertyShape) in shapes:
            assert shapes.value(shape, SH.name) is not None, name


@one_pass_only
def test_shapes_use_shacl_core_only():
    text = "".join(path.read_text(encoding="utf-8") for path in shape_files())
    assert "sh:sparql" not in text and "sh:SPARQLConstraint" not in text


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    server = start_app(tmp_path_factory.mktemp("shapes-api"), ECOMAP_SUBMISSIONS_PER_MINUTE="100000")
    yield server
    stop_server(server)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_each_constraint_reaches_a_contributor_through_the_api(case, api, shapes):

    answer = web.post(
        api.url + "/submissions",
        content=(PREFIXES + case.turtle).encode(),
        headers={"Content-Type": "text/turtle", "Accept": "application/json"},
        params={"dry_run": "true", "accept_terms": "true"},
        timeout=60,
    )
    assert answer.status_code == (422 if case.severity == "Violation" else 200), answer.text
    body = answer.json()
    results = [r for record in body.get("report", body)["records"] for r in record["results"]]
    shape = SHP + case.shape
    messages = {r["message"] for r in results if r["shape"] == shape and r["severity"] == case.severity}
    assert messages == {str(shapes.value(rdflib.URIRef(shape), SH.message))}, results


@one_pass_only
def test_what_validations_leave_behind_stays_bounded(validator):
    """rdflib's store keeps the index entries of the terms removed from it: a process that validated submission after
    submission kept every one (177 MiB after 900 records with a 100 kB label)."""
    own = Validator(BASE, validator.shapes, validator.context)
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(30):
            data = rdflib.Graph()
            label = rdflib.Literal(f"{n} " + "x" * 1_000_000, lang="en")
            data.add((rdflib.URIRef(f"{BASE}/id/organisation/big-{n}"), rdflib.URIRef(SKOS_PREF_LABEL), label))
            own.validate(data)
            del data, label
        gc.collect()  # what a cycle holds until the collector runs is garbage, not kept
        kept = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    # The validator's graphs are made afresh after 10,000 kB of values (each held as text and as a term): at most
    # about 20 MB stays; before, all 60 MB did.
    assert kept < 30_000_000, f"{kept / 1e6:.0f} MB kept after 30 validations of a 1 MB label"
