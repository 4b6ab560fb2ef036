"""Suggestions from text, and leads between organisations: the real command, a real server, real stores.

The quality of suggestions is measured by bench/suggestions/ on its labelled set; here, that the parts work: a
text close to a concept's own words finds it, a concept added to a scheme is suggested at once, bad input gets a
clear 4xx, and nothing suggested is ever written to the public store.
"""

from __future__ import annotations

import json

import pyoxigraph as ox
import pytest
import web
from conftest import BASE, SAME_OVER_EITHER, make_tokens, one_pass, one_pass_only, start_app, stop_server
from helpers import PREFIXES, bearer, rows, submit

from graph.contributions.review import duplicates
from graph.matching.suggestions import CONCEPTS_QUERY, FIELDS, Suggester
from graph.rdf.results import strings

# Texts in other words than the vocabularies' own definitions and labels, each with the concept it restates.
PARAPHRASES = {
    "We help people share data confidentially, with privacy enhancing tools that keep records hidden.": (
        "topic/privacy-enhancing-technologies"
    ),
    "We promote good data standards, so that data is kept and exchanged following the FAIR principles.": (
        "m1-priority-area/establish-foundations"
    ),
    "Bodies that gather, look after and pass on data responsibly for many sectors.": "topic/data-institutions",
    "A free course giving people data skills for a data-driven economy.": "nds-pillar/data-skills",
    "Making sure data is accessible to those who should have it.": "nds-pillar/data-availability",
    "Work to govern artificial intelligence effectively, through regulation and standards.": (
        "ai-strategy-pillar/governing-ai-effectively"
    ),
    "Championing flows of data between the UK and other countries.": "nds-mission/international-flow-of-data",
    "Helping firms understand data sharing and know more about how it works.": "m1-principle/improve-knowledge",
}

NEW_TOPIC = """@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<def/topic/open-banking> a skos:Concept ; skos:inScheme <def/topic> ;
    skos:prefLabel "Open banking"@en ;
    skos:definition "Banks sharing their customers' account data, with consent, through secure APIs."@en .
"""
OPEN_BANKING = "Our app reads current accounts through the banks' secure APIs, with the customer's consent."

# Two organisations that nothing links, with alike activities in one place, both about data skills.
UNLINKED = (
    PREFIXES
    + """
<id/organisation/northern-data-academy> a org:Organization ; skos:prefLabel "Northern Data Academy"@en ;
    dcterms:source <https://northern-data.example/> .
<id/organisation/pennine-analytics-school> a org:Organization ; skos:prefLabel "Pennine Analytics School"@en ;
    dcterms:source <https://pennine-analytics.example/> .
<id/activity/northern-data-bootcamp> a eco:Activity ; skos:prefLabel "Northern data bootcamp"@en ;
    dcterms:description "A twelve-week bootcamp teaching data analysis, statistics and Python to adults in Greater Manchester."@en ;
    eco:runBy <id/organisation/northern-data-academy> ; dcterms:spatial <id/place/E47000001> ;
    eco:supports <def/nds-pillar/data-skills> ; dcterms:source <https://northern-data.example/bootcamp> .
<id/activity/pennine-analytics-course> a eco:Activity ; skos:prefLabel "Pennine analytics course"@en ;
    dcterms:description "A ten-week course teaching adults in Greater Manchester data analysis, Python and statistics."@en ;
    eco:runBy <id/organisation/pennine-analytics-school> ; dcterms:spatial <id/place/E47000001> ;
    eco:supports <def/nds-pillar/data-skills> ; dcterms:source <https://pennine-analytics.example/course> .
"""
)
LINKED = (
    PREFIXES
    + """
<id/relationship/pennine-partner-in-northern> a eco:Relationship ;
    eco:fromOrganisation <id/organisation/pennine-analytics-school> ;
    eco:relationshipKind <def/relationship-kind/partner-in> ;
    eco:toOrganisation <id/organisation/northern-data-academy> ;
    dcterms:source <https://pennine-analytics.example/partners> .
"""
)

pytestmark = one_pass("embedded", SAME_OVER_EITHER)


@pytest.fixture(scope="module")
def suggester(seeded_store):
    return Suggester(strings(rows(seeded_store, CONCEPTS_QUERY), FIELDS))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    server = start_app(tmp_path_factory.mktemp("suggestions"), ECOMAP_SUBMISSIONS_PER_MINUTE="1000")
    yield server, make_tokens(server)
    stop_server(server)


def load(server, tmp_path, name: str, text: str) -> None:
    path = tmp_path / f"{name}.ttl"
    path.write_text(text, encoding="utf-8")
    loaded = server.ecomap("load", str(path), "--graph", f"{BASE}/data/test/{path.stem}")
    assert loaded.returncode == 0, loaded.stderr


def best(answer: dict, scheme: str) -> dict:
    return next(entry for entry in answer["schemes"] if entry["scheme"] == f"{BASE}/def/{scheme}")["suggestions"][0]


@one_pass_only
@pytest.mark.parametrize(("text", "concept"), PARAPHRASES.items())
def test_a_text_restating_a_concepts_definition_ranks_that_concept_first(suggester, text, concept):
    scheme = concept.split("/")[0]
    top = best(suggester.suggest(text), scheme)
    assert top["concept"] == f"{BASE}/def/{concept}"
    assert 0 < top["score"] <= 1
    assert top["evidence"]["words"] and all(word in text.lower() for word in top["evidence"]["words"])


@one_pass_only
def test_every_subject_scheme_is_ranked_with_scores_and_evidence(suggester):
    answer = suggester.suggest(
        "The ODI's guide helps organisations assess and manage risks when sharing data. It is free.", per_scheme=2
    )
    schemes = {entry["scheme"].rsplit("/", 1)[1] for entry in answer["schemes"]}
    assert schemes == {"m1-priority-area", "m1-principle", "nds-pillar", "nds-mission", "ai-strategy-pillar", "topic"}
    for entry in answer["schemes"]:
        scores = [suggestion["score"] for suggestion in entry["suggestions"]]
        assert len(scores) == 2 and scores == sorted(scores, reverse=True) and all(0 <= s <= 1 for s in scores)
    # The approved guide on the map is tagged with this principle: its description is the closest evidence.
    risks = best(answer, "m1-principle")
    assert risks["concept"] == f"{BASE}/def/m1-principle/address-risks"
    assert risks["evidence"]["closest"] == {
        "kind": "tagged",
        "text": risks["evidence"]["closest"]["text"],
        "source": f"{BASE}/id/activity/odi-data-sharing-risk-guide",
    }
    assert risks["evidence"]["sentence"].startswith("The ODI's guide")
    assert "risks" in risks["evidence"]["words"]


@one_pass_only
def test_a_concept_added_to_a_scheme_is_suggested_without_code_changes(ecomap, tmp_path):
    assert ecomap("init").returncode == 0
    before = json.loads(ecomap("suggest", OPEN_BANKING, "--format", "json").stdout)
    # Not the concept, nor anything about it (the seed's activity "Open banking ecosystem services" may be evidence).
    assert f"{BASE}/def/topic/open-banking" not in json.dumps(before)
    concept = tmp_path / "open-banking.ttl"
    concept.write_text(NEW_TOPIC, encoding="utf-8")
    assert ecomap("load", str(concept), "--graph", f"{BASE}/def/topic").returncode == 0
    after = json.loads(ecomap("suggest", OPEN_BANKING, "--format", "json").stdout)
    assert best(after, "topic")["concept"] == f"{BASE}/def/topic/open-banking"
    shown = ecomap("suggest", "--file", str(concept)).stdout
    assert "Open banking" in shown and "nothing is recorded" in shown


@one_pass_only
def test_the_command_refuses_text_it_cannot_compare(ecomap, tmp_path):
    assert ecomap("init").returncode == 0
    empty = ecomap("suggest", "   ")
    assert empty.returncode == 2 and "Give some text" in empty.stderr
    latin = tmp_path / "latin-1.txt"
    latin.write_bytes("Café données".encode("latin-1"))
    unreadable = ecomap("suggest", "--file", str(latin))
    assert unreadable.returncode == 2 and "not UTF-8" in unreadable.stderr and "Traceback" not in unreadable.stderr
    surrogate = ecomap("suggest", b"open \xff data sharing")
    assert surrogate.returncode == 2 and "not Unicode text" in surrogate.stderr
    both = ecomap("suggest", "text", "--file", str(latin))
    assert both.returncode == 2 and "not both" in both.stderr


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b'{"text": ""}', 422, "Give some text"),
        (b'{"text": "   \\n  "}', 422, "Give some text"),
        (b'{"text": "12345 6789"}', 422, "no words"),
        (json.dumps({"text": "data " * 200_000}).encode(), 413, "larger than"),
        (json.dumps({"text": "data " * 5_000}).encode(), 422, "at most 20,000"),
        ('{"text": "Café"}'.encode("latin-1"), 400, "not UTF-8"),
        (b"\xff\xfe\x00", 400, "not UTF-8"),
        (b"text=hello", 400, "not JSON"),
        (b'["A course"]', 422, '"text"'),
        (b'{"text": 42}', 422, '"text"'),
        (b'{"text": "A course", "per_scheme": 0}', 422, "per_scheme"),
        (b'{"text": "A course", "per_scheme": true}', 422, "per_scheme"),
        (b"[" * 30_000 + b"]" * 30_000, 400, "not the JSON"),
        (b'{"text": "A course", "per_scheme": ' + b"9" * 5_000 + b"}", 400, "not the JSON"),
        (b'{"text": "data \\ud800 skills"}', 422, "not Unicode text"),
        (b'{"text": "the and of it which"}', 422, "no words"),
    ],
)
def test_the_api_answers_bad_input_with_a_clear_4xx(server, body, status, message):
    answer = web.post(server.url + "/suggest", content=body, headers={"Content-Type": "application/json"})
    assert answer.status_code == status
    assert message in answer.json()["error"]


def test_a_long_text_is_taken_whole_and_its_evidence_is_a_part_of_it(server):
    """20,000 characters, escaped in JSON at 6 bytes each, is not too large; nor is a text without full stops
    given back whole as the evidence of every suggestion."""
    escaped = json.dumps({"text": "é" * 15_000 + " data skills course"})
    assert web.post(server.url + "/suggest", content=escaped, headers={"Content-Type": "application/json"}).is_success
    words = ("open data skills course for analysts in wales " * 300).split()
    answer = web.post(server.url + "/suggest", json={"text": " ".join(words)}, timeout=60)
    assert answer.status_code == 200
    for entry in answer.json()["schemes"]:
        for suggestion in entry["suggestions"]:
            if suggestion["evidence"]:
                assert len(suggestion["evidence"]["sentence"].split()) <= 40


def test_the_api_ranks_concepts_and_records_nothing(served, tmp_path):
    server, tokens = served
    public = {"query": "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"}

    def statements() -> int:
        return int(web.get(server.url + "/sparql", params=public, headers={"Accept": "text/csv"}).text.split()[-1])

    before = statements()
    text = "A programme teaching data science skills to analysts in Wales, and the ethics of AI."
    for _ in range(3):
        answer = web.post(server.url + "/suggest", json={"text": text, "per_scheme": 1})
        assert answer.status_code == 200 and answer.headers["cache-control"] == "no-store"
        assert all(len(entry["suggestions"]) == 1 for entry in answer.json()["schemes"])
    # A moderator's review computes suggestions too; none of them is written anywhere public.
    tagged = PREFIXES + (
        '<id/organisation/cardiff-pets-lab> a org:Organization ; skos:prefLabel "Cardiff PETs Lab"@en ;\n'
        "    dcterms:source <https://cardiff-pets.example/> .\n"
        '<id/activity/cardiff-pets-trials> a eco:Activity ; skos:prefLabel "PETs trials"@en ;\n'
        "    eco:runBy <id/organisation/cardiff-pets-lab> ;\n"
        '    dcterms:description "Trials of privacy enhancing technologies that let hospitals share patient data '
        'confidentially."@en ;\n'
        "    dcterms:subject <def/topic/levelling-up>, <def/topic/privacy-enhancing-technologies> ;\n"
        "    eco:suggestedTopic <def/topic/smart-cities> ;\n"
        "    dcterms:source <https://cardiff-pets.example/trials> .\n"
    )
    sent = submit(server, tagged, accept_terms="true")
    assert sent.status_code == 201, sent.text
    review = web.get(server.url + f"/submissions/{sent.json()['id']}/review", headers=bearer(tokens["moderator"]))
    checks = review.json()["concept_checks"]
    assert [check["activity"] for check in checks] == [f"{BASE}/id/activity/cardiff-pets-trials"]
    submitted = {concept["label"]: concept for concept in checks[0]["submitted"]}
    assert set(submitted) == {"Privacy-enhancing technologies", "Levelling up"}, "a suggested topic is not submitted"
    assert submitted["Privacy-enhancing technologies"]["rank"] == 1
    assert submitted["Levelling up"]["rank"] > 1
    # The text does not support "Levelling up": the moderator is told, in words, and shown what it points to.
    assert any(
        "'Levelling up'" in flag and "'Privacy-enhancing technologies'" in flag for flag in checks[0]["disagreements"]
    )
    shown = server.ecomap("review", "show", sent.json()["id"], "--server", server.url, "--token", tokens["moderator"])
    assert shown.returncode == 0 and "! The description hardly supports 'Levelling up'" in shown.stdout
    assert statements() == before
    ask = f'ASK {{ ?s ?p "{text}" }}'
    assert web.get(server.url + "/sparql", params={"query": ask}, headers={"Accept": "application/json"}).json() == {
        "head": {},
        "boolean": False,
    }


def test_leads_pair_unlinked_organisations_with_their_evidence_until_a_relationship_links_them(served, tmp_path):
    server, _ = served
    load(server, tmp_path, "unlinked", UNLINKED)
    academy, school = (f"{BASE}/id/organisation/{key}" for key in ("northern-data-academy", "pennine-analytics-school"))
    found = web.get(server.url + "/leads", params={"organisation": "northern-data-academy", "format": "json"}).json()
    lead = next(lead for lead in found["leads"] if {o["iri"] for o in lead["organisations"]} == {academy, school})
    assert all(academy in {o["iri"] for o in other["organisations"]} for other in found["leads"])
    evidence = lead["evidence"]
    # The two activities, near paraphrases, are each other's most alike on the map: no other lead of either
    # organisation shows activities as alike. (Not the most alike of the whole map: the seed's own descriptions of
    # the Edinburgh city region deal's data programme and of its data facility are alike too.)
    school_s = web.get(server.url + "/leads", params={"organisation": "pennine-analytics-school", "format": "json"})
    theirs = found["leads"] + school_s.json()["leads"]
    assert lead in school_s.json()["leads"] and len(theirs) > 2
    likenesses = [alike["likeness"] for other in theirs if (alike := other["evidence"]["similar_activities"])]
    assert evidence["similar_activities"]["likeness"] == max(likenesses) and found["leads"][0] == lead
    assert likenesses.count(max(likenesses)) == 2, "the pair's own lead, once from each side"
    assert {evidence["similar_activities"][side]["iri"].rsplit("/", 1)[1] for side in ("first", "second")} == {
        "northern-data-bootcamp",
        "pennine-analytics-course",
    }
    assert evidence["shared_concepts"] == [{"iri": f"{BASE}/def/nds-pillar/data-skills", "label": "Data skills"}]
    assert evidence["shared_place"] == {"iri": f"{BASE}/id/place/E47000001", "label": "Greater Manchester"}
    assert 0.5 < lead["score"] <= 1 and "both act in Greater Manchester" in lead["reasons"]
    page = web.get(server.url + "/leads", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "Pennine Analytics School" in page.text
    listed = server.ecomap("leads", "--organisation", "pennine-analytics-school")
    assert listed.returncode == 0 and "Northern Data Academy" in listed.stdout and "Greater Manchester" in listed.stdout

    load(server, tmp_path, "linked", LINKED)
    after = web.get(server.url + "/leads", params={"organisation": "northern-data-academy", "format": "json"}).json()
    assert not any({o["iri"] for o in lead["organisations"]} == {academy, school} for lead in after["leads"])
    assert web.get(server.url + "/leads", params={"organisation": "no such!"}).status_code == 400
    assert web.get(server.url + "/leads", params={"organisation": "no-such-organisation"}).status_code == 404
    unknown = server.ecomap("leads", "--organisation", "no-such-organisation")
    assert unknown.returncode == 1 and "no organisation 'no-such-organisation'" in unknown.stderr
    assert web.get(server.url + "/leads", params={"format": "xml"}).status_code == 406


@one_pass_only
def test_duplicates_are_scored_from_each_kind_of_evidence_and_explained():
    def literal(text: str) -> ox.Literal:
        return ox.Literal(text, language="en")

    rdf_type, org_class = ox.NamedNode(f"{PREFIX_RDF}type"), ox.NamedNode("http://www.w3.org/ns/org#Organization")
    label, description = ox.NamedNode(f"{PREFIX_SKOS}prefLabel"), ox.NamedNode("http://purl.org/dc/terms/description")
    new = ox.NamedNode(f"{BASE}/id/organisation/the-data-lab-scotland")
    triples = [
        ox.Triple(new, rdf_type, org_class),
        ox.Triple(new, label, literal("Data Lab Scotland")),
        ox.Triple(new, description, literal("Scotland's innovation centre for data and AI, helping businesses.")),
    ]

    def row(key: str, name: str, about: str) -> dict:
        return {
            "organisation": ox.NamedNode(f"{BASE}/id/organisation/{key}"),
            "name": ox.Literal(name),
            "description": ox.Literal(about),
        }

    existing = [
        row("noise-only", "The Ltd", "A body whose name is only noise."),
        row("the-data-lab", "The Data Lab", "Scotland's innovation centre for data and AI, helping businesses grow."),
        row("royal-society", "Royal Society", "The UK's national academy of sciences."),
    ]
    found = duplicates(triples, existing)
    assert [d.candidate.rsplit("/", 1)[1] for d in found] == ["the-data-lab"]
    # A name that is only noise matches no other such name.
    noise = ox.NamedNode(f"{BASE}/id/organisation/limited")
    assert duplicates([ox.Triple(noise, rdf_type, org_class), ox.Triple(noise, label, literal("Ltd"))], existing) == []
    assert any(reason.startswith("a similar description") for reason in found[0].evidence)
    assert 0.5 <= found[0].score < 1 and found[0].reason == "; ".join(found[0].evidence)


PREFIX_RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PREFIX_SKOS = "http://www.w3.org/2004/02/skos/core#"
