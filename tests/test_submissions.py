"""Contributions end to end, against a real server: submit, read the report, fix, approve or reject, see it public."""

from __future__ import annotations

import json
import re

import httpx
import pyoxigraph as ox
import pytest
import web
from conftest import BASE, SAME_OVER_EITHER, make_tokens, one_pass, start_app, stop_server
from helpers import NEW_ORGANISATION, PREFIXES, TURTLE, bearer, logged, pending, status_of, submit

pytestmark = one_pass("remote", SAME_OVER_EITHER)


@pytest.fixture(scope="module")
def contributions(tmp_path_factory):
    folder = tmp_path_factory.mktemp("contributions")
    server = start_app(folder, ECOMAP_SUBMISSION_MAX_BYTES="100000", ECOMAP_SUBMISSIONS_PER_MINUTE="1000")
    yield server, make_tokens(server)
    stop_server(server)


def test_a_mistake_gets_422_with_what_to_fix_then_the_fix_is_stored_as_pending(contributions):
    server, _ = contributions
    wrong = submit(server, NEW_ORGANISATION.format(number="1234567"), accept_terms="true")
    assert wrong.status_code == 422
    results = [r for record in wrong.json()["records"] for r in record["results"]]
    assert any(
        r["field"] == "company number" and r["value"] == '"1234567"' and "8 characters" in r["message"] for r in results
    )
    assert web.get(server.url + "/submissions", headers={}).status_code == 401

    unsigned = submit(server, NEW_ORGANISATION.format(number="01234567"))
    assert unsigned.status_code == 400 and "Open Government Licence" in unsigned.json()["error"]

    dry = submit(server, NEW_ORGANISATION.format(number="01234567"), dry_run="true")
    assert dry.status_code == 200 and dry.json()["valid"] is True

    stored = submit(
        server, NEW_ORGANISATION.format(number="01234567"), accept_terms="true", contact="someone@cymru-data.example"
    )
    assert stored.status_code == 201, stored.text
    body = stored.json()
    assert stored.headers["location"] == body["status_url"]
    assert re.fullmatch(r"[0-9a-f]{32}", body["id"])
    # The status link's key is private: the id, which the provenance of an approved record publishes, is not it.
    assert re.fullmatch(r"/submissions/[0-9a-f]{32}", body["status_url"]) and body["id"] not in body["status_url"]
    assert web.get(server.url + f"/submissions/{body['id']}").status_code == 404
    assert set(body["records"]) == {
        f"{BASE}/data/organisation/cymru-data-co-op",
        f"{BASE}/data/relationship/cymru-data-co-op-member-of-odi",
    }
    status = web.get(server.url + body["status_url"]).json()
    assert status["status"] == "pending" and "contact" not in str(status)
    assert web.get(server.url + "/doc/organisation/cymru-data-co-op").status_code == 404


def test_only_moderators_approve_and_then_the_record_is_public(contributions):
    server, tokens = contributions
    body = submit(
        server,
        NEW_ORGANISATION.format(number="07654321").replace("cymru-data-co-op", "welsh-data-guild"),
        accept_terms="true",
    ).json()
    approve = server.url + f"/submissions/{body['id']}/approve"
    assert web.post(approve).status_code == 401
    assert web.post(approve, headers=bearer("not-a-token")).status_code == 401
    assert web.post(approve, headers=bearer(tokens["submitter"])).status_code == 403
    assert body["id"] in [s["id"] for s in pending(server, tokens["moderator"])]

    approved = web.post(approve, headers=bearer(tokens["moderator"]))
    assert approved.status_code == 200, approved.text
    assert web.post(approve, headers=bearer(tokens["moderator"])).status_code == 409
    assert web.get(server.url + body["status_url"]).json()["status"] == "approved"

    page = web.get(
        server.url + "/id/organisation/welsh-data-guild", headers={"Accept": "text/html"}, follow_redirects=True
    )
    assert page.status_code == 200 and "Cymru Data Co-op" in page.text
    query = "ASK { <id/organisation/welsh-data-guild> eco:basedIn <id/place/W92000004> . <id/activity/welsh-data-guild-skills-bootcamp> eco:supports <def/nds-pillar/data-skills> }"
    assert web.get(
        server.url + "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    ).json()["boolean"]
    provenance = f"""ASK {{ GRAPH <data/metadata> {{ <data/organisation/welsh-data-guild> eco:status <def/record-status/approved> ;
        eco:contributorRole <def/contributor-role/public> ; prov:wasDerivedFrom <id/submission/{body["id"]}> }} }}"""
    assert web.get(
        server.url + "/sparql", params={"query": provenance}, headers={"Accept": "application/sparql-results+json"}
    ).json()["boolean"]


def test_a_rejected_submission_says_why_and_never_becomes_public(contributions):
    server, tokens = contributions
    body = submit(
        server,
        NEW_ORGANISATION.format(number="01111111").replace("cymru-data-co-op", "never-public-org"),
        accept_terms="true",
    ).json()
    reject = server.url + f"/submissions/{body['id']}/reject"
    assert web.post(reject, json={}, headers=bearer(tokens["moderator"])).status_code == 400
    rejected = web.post(
        reject,
        json={"reason": "We could not find this organisation in any register."},
        headers=bearer(tokens["moderator"]),
    )
    assert rejected.status_code == 200
    status = web.get(server.url + body["status_url"]).json()
    assert status["status"] == "rejected" and status["reason"] == "We could not find this organisation in any register."
    assert web.get(server.url + "/doc/organisation/never-public-org").status_code == 404
    count = web.get(
        server.url + "/sparql",
        params={"query": "ASK { GRAPH ?g { <id/organisation/never-public-org> ?p ?o } }"},
        headers={"Accept": "application/sparql-results+json"},
    )
    assert count.json()["boolean"] is False


def test_an_update_to_an_existing_record_replaces_it_on_approval_and_keeps_its_creation_date(contributions):
    server, tokens = contributions
    update = (
        PREFIXES
        + """
<id/organisation/techuk> a org:Organization ;
    skos:prefLabel "techUK"@en ;
    eco:organisationKind <def/organisation-kind/trade-or-industry-body> ;
    foaf:homepage <https://www.techuk.org/> ;
    dcterms:source <https://www.techuk.org/about> .
"""
    )
    body = submit(server, update, headers={**TURTLE, **bearer(tokens["submitter"])}, accept_terms="true").json()
    assert (
        web.post(server.url + f"/submissions/{body['id']}/approve", headers=bearer(tokens["moderator"])).status_code
        == 200
    )
    query = """SELECT ?created ?modified ?role WHERE { <id/organisation/techuk> eco:organisationKind <def/organisation-kind/trade-or-industry-body> .
        GRAPH <data/metadata> { <data/organisation/techuk> dcterms:created ?created ; dcterms:modified ?modified ; eco:contributorRole ?role } }"""
    [row] = web.get(
        server.url + "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    ).json()["results"]["bindings"]
    assert row["created"]["value"].startswith("2026-11-28T00:00:00")
    assert row["modified"]["value"] > row["created"]["value"]
    # A submitter's token is not tied to any organisation: before, its records said "the organisation itself".
    assert row["role"]["value"].endswith("/contributor-role/registered-submitter")


@pytest.mark.parametrize(
    ("body", "headers", "status", "says"),
    [
        ('<id/organisation/x> <http://x.example/p> "unterminated .\n', TURTLE, 400, "Line 1, column"),
        (
            '{"@context": "https://schema.org/", "@id": "http://x.example/s", "name": "x"}',
            {"Content-Type": "application/ld+json"},
            400,
            "never fetches a remote JSON-LD @context",
        ),
        (
            "<?xml version='1.0'?><!DOCTYPE r [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;'>]><rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Description rdf:about='http://x.example/s'><rdf:value>&b;</rdf:value></rdf:Description></rdf:RDF>",
            {"Content-Type": "application/rdf+xml"},
            400,
            "",
        ),
        ("x" * 200_000, TURTLE, 413, "larger than"),
        ("<a> <b> <c> .", {"Content-Type": "text/plain"}, 415, "Turtle"),
        (PREFIXES + '<id/organisation/x> skos:prefLabel "X"@en .', TURTLE, 422, "do not belong"),
    ],
)
def test_hostile_or_unusable_input_is_refused_and_nothing_is_stored(contributions, body, headers, status, says):
    server, tokens = contributions
    before = pending(server, tokens["moderator"])
    response = submit(server, body, headers=headers, accept_terms="true")
    assert response.status_code == status, response.text
    assert says in response.json()["error"]
    assert "Traceback" not in response.text
    assert pending(server, tokens["moderator"]) == before


def test_the_report_is_a_shacl_validation_report_for_machines(contributions):
    server, _ = contributions
    response = submit(
        server, NEW_ORGANISATION.format(number="123"), headers={**TURTLE, "Accept": "text/turtle"}, accept_terms="true"
    )
    assert response.status_code == 422 and response.headers["content-type"].startswith("text/turtle")
    assert "sh:ValidationReport" in response.text and "sh:resultMessage" in response.text


def test_the_report_is_chosen_by_format_as_every_negotiated_answer_is(contributions):
    """The validation report's media type comes from the one negotiation of the app (``api.negotiation``): ``format=``
    wins over Accept, and a format it cannot give is refused before the body is read."""
    server, _ = contributions
    body = NEW_ORGANISATION.format(number="123")
    response = submit(server, body, headers={**TURTLE, "Accept": "text/turtle"}, accept_terms="true", format="jsonld")
    assert response.status_code == 422 and response.headers["content-type"].startswith("application/ld+json")
    assert "ValidationReport" in response.text
    refused = submit(server, body, accept_terms="true", format="csv")
    assert refused.status_code == 406 and "format=csv" in refused.json()["detail"]


def test_unknown_submissions_are_404(contributions):
    server, _ = contributions
    assert web.get(server.url + "/submissions/0123456789abcdef0123456789abcdef").status_code == 404
    assert web.get(server.url + "/submissions/..%2F..%2Fetc").status_code == 404


def test_moderators_see_what_approval_would_change_and_likely_duplicates(contributions):
    server, tokens = contributions
    lookalike = (
        PREFIXES
        + """
<id/organisation/open-data-institute-ltd> a org:Organization ;
    skos:prefLabel "The Open Data Institute Ltd"@en ;
    foaf:homepage <https://www.theodi.org/join> ;
    dcterms:source <https://theodi.org/> .
<id/organisation/techuk> a org:Organization ;
    skos:prefLabel "techUK"@en ;
    foaf:homepage <https://www.techuk.org/> ;
    dcterms:source <https://www.techuk.org/about-us> .
"""
    )
    body = submit(server, lookalike, accept_terms="true").json()
    review = server.url + f"/submissions/{body['id']}/review"
    assert web.get(review, headers=bearer(tokens["submitter"])).status_code == 403
    seen = web.get(review, headers=bearer(tokens["moderator"])).json()
    duplicates = {
        (d["submitted"].rsplit("/", 1)[1], d["candidate"].rsplit("/", 1)[1]): d for d in seen["possible_duplicates"]
    }
    odi = duplicates[("open-data-institute-ltd", "odi")]
    # Two signs, each explained: the website, and the name once "The" and "Ltd" are set aside.
    assert "the same website, theodi.org" in odi["evidence"]
    assert "a near-identical name, 'Open Data Institute' (100% alike)" in odi["evidence"]
    assert odi["reason"] == "; ".join(odi["evidence"])
    assert 0.95 < odi["score"] < 1
    assert ("techuk", "techuk") not in duplicates
    changes = {c["graph"].rsplit("/", 1)[1]: c for c in seen["changes"]}
    assert changes["open-data-institute-ltd"]["exists"] is False and changes["open-data-institute-ltd"]["removed"] == []
    assert changes["techuk"]["exists"] is True
    assert any("about-us" in line for line in changes["techuk"]["added"])
    assert changes["techuk"]["removed"] and not any("about-us" in line for line in changes["techuk"]["removed"])


def test_the_command_line_walk_through(contributions, tmp_path):
    """Submit with a mistake, read what to fix, fix it, submit again, approve it, see it public."""
    server, tokens = contributions
    path = tmp_path / "ours.ttl"
    path.write_text(
        NEW_ORGANISATION.format(number="123").replace("cymru-data-co-op", "valleys-data-trust"), encoding="utf-8"
    )
    wrong = server.ecomap("submit", str(path), "--server", server.url, "--accept-terms")
    assert wrong.returncode == 1
    assert 'company number: "123"' in wrong.stdout and "A company number has 8 characters" in wrong.stdout

    path.write_text(
        NEW_ORGANISATION.format(number="00000123").replace("cymru-data-co-op", "valleys-data-trust"), encoding="utf-8"
    )
    stored = server.ecomap("submit", str(path), "--server", server.url, "--accept-terms")
    assert stored.returncode == 0 and "Stored as pending" in stored.stdout
    submission = re.search(r"submission ([0-9a-f]{32})", stored.stdout).group(1)

    moderator = ["--server", server.url, "--token", tokens["moderator"]]
    listed = server.ecomap("review", "list", *moderator)
    assert submission in listed.stdout
    shown = server.ecomap("review", "show", submission, *moderator)
    assert (
        "a new record" in shown.stdout
        and "+ <http://127.0.0.1:8000/id/organisation/valleys-data-trust>" in shown.stdout
    )
    refused = server.ecomap("review", "approve", submission, "--server", server.url, "--token", tokens["submitter"])
    assert refused.returncode == 1 and "403" in refused.stderr
    tag = re.search(r"--if-match '([^']+)'", shown.stdout).group(1)
    assert server.ecomap("review", "approve", submission, *moderator, "--if-match", tag).returncode == 0

    page = web.get(
        server.url + "/id/organisation/valleys-data-trust", headers={"Accept": "text/turtle"}, follow_redirects=True
    )
    assert page.status_code == 200 and "Cydweithfa Data Cymru" in page.text
    found = server.ecomap(
        "query",
        "SELECT ?n WHERE { <id/organisation/valleys-data-trust> skos:prefLabel ?n FILTER(LANG(?n) = 'cy') }",
        "--format",
        "csv",
    )
    assert found.stdout.splitlines() == ["n", "Cydweithfa Data Cymru"]
    listed = server.ecomap("history", "organisation/valleys-data-trust")
    versions = web.get(server.url + "/doc/organisation/valleys-data-trust/history?format=json").json()["versions"]
    assert listed.returncode == 0 and len(listed.stdout.splitlines()) == len(versions) == 1
    assert f"submission {submission}" in listed.stdout and versions[0]["version"].rsplit("/", 1)[-1] in listed.stdout


def test_concurrent_submissions_and_approvals_are_all_kept(contributions):
    from concurrent.futures import ThreadPoolExecutor

    server, tokens = contributions
    names = [f"parallel-data-lab-{n}" for n in range(8)]

    def send(n: int) -> httpx.Response:
        body = NEW_ORGANISATION.format(number=f"0911000{n}").replace("cymru-data-co-op", names[n])
        return submit(server, body, accept_terms="true")

    with ThreadPoolExecutor(max_workers=8) as pool:
        sent = list(pool.map(send, range(8)))
    assert [r.status_code for r in sent] == [201] * 8, [r.text for r in sent if r.status_code != 201]
    ids = {r.json()["id"] for r in sent}
    assert len(ids) == 8
    assert ids <= {s["id"] for s in pending(server, tokens["moderator"])}

    def approve(submission: str) -> int:
        return web.post(
            server.url + f"/submissions/{submission}/approve", headers=bearer(tokens["moderator"]), timeout=60
        ).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(approve, sorted(ids))) == [200] * 8
    query = "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o a <http://www.w3.org/ns/org#Organization> FILTER(CONTAINS(STR(?o), 'parallel-data-lab-')) }"
    answer = web.get(
        server.url + "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert answer.json()["results"]["bindings"][0]["n"]["value"] == "8"


def test_every_approved_version_is_kept_and_listed_with_its_predecessor(contributions):
    server, tokens = contributions
    moderator = bearer(tokens["moderator"])
    first = NEW_ORGANISATION.format(number="06543210").replace("cymru-data-co-op", "history-data-trust")
    second = first.replace('"Cymru Data Co-op"@en', '"History Data Trust"@en')
    approved = []
    for body in (first, second):
        sent = submit(server, body, accept_terms="true").json()
        assert web.post(server.url + f"/submissions/{sent['id']}/approve", headers=moderator).status_code == 200
        approved.append(sent["id"])

    history = web.get(
        server.url + "/doc/organisation/history-data-trust/history", headers={"Accept": "application/json"}
    )
    newer, older = history.json()["versions"]
    assert (newer["submission"], older["submission"]) == (approved[1], approved[0])
    assert newer["revises"] == older["version"] and older["revises"] is None
    old_statements = web.get(server.url + "/doc/organisation/history-data-trust/" + older["statements"])
    assert old_statements.headers["content-type"].startswith("text/turtle")
    assert '"Cymru Data Co-op"@en' in old_statements.text and "History Data Trust" not in old_statements.text
    page = web.get(server.url + "/doc/organisation/history-data-trust/history", headers={"Accept": "text/html"})
    assert page.status_code == 200 and f"submission {approved[0]}" in page.text


def test_a_published_record_changed_for_the_first_time_keeps_its_first_published_state(contributions):
    server, tokens = contributions
    record = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <data/organisation/nesta> { ?s ?p ?o } }"
    before = web.get(server.url + "/sparql", params={"query": record}, headers={"Accept": "application/n-triples"})
    update = (
        PREFIXES
        + '<id/organisation/nesta> a org:Organization ; skos:prefLabel "Nesta"@en ; dcterms:source <https://www.nesta.org.uk/> .'
    )
    sent = submit(server, update, accept_terms="true").json()
    approve = web.post(server.url + f"/submissions/{sent['id']}/approve", headers=bearer(tokens["moderator"]))
    assert approve.status_code == 200
    history = web.get(server.url + "/doc/organisation/nesta/history", headers={"Accept": "application/json"})
    newer, initial = history.json()["versions"]
    assert initial["submission"] is None and initial["version"].endswith("/version/initial")
    assert newer["revises"] == initial["version"]
    kept = web.get(server.url + "/doc/organisation/nesta/" + initial["statements"]).text
    published = set(ox.parse(before.content, format=ox.RdfFormat.N_TRIPLES))
    assert len(published) > 5 and published == set(ox.parse(kept.encode(), format=ox.RdfFormat.TURTLE))


def test_a_withdrawn_record_answers_410_with_when_and_why_and_keeps_its_history(contributions):
    server, tokens = contributions
    withdraw = server.url + "/records/organisation/royal-society/withdraw"
    assert web.post(withdraw, json={"reason": "x"}).status_code == 401
    assert web.post(withdraw, json={"reason": "x"}, headers=bearer(tokens["submitter"])).status_code == 403
    assert web.post(withdraw, json={}, headers=bearer(tokens["moderator"])).status_code == 400
    done = web.post(withdraw, json={"reason": "Asked to be removed."}, headers=bearer(tokens["moderator"]))
    assert done.status_code == 200, done.text

    page = web.get(
        server.url + "/id/organisation/royal-society", headers={"Accept": "text/html"}, follow_redirects=True
    )
    assert page.status_code == 410 and "Asked to be removed." in page.text
    data = web.get(server.url + "/doc/organisation/royal-society", headers={"Accept": "text/turtle"})
    assert data.status_code == 410 and "withdrawn on" in data.text
    ask = "ASK { GRAPH ?g { <id/organisation/royal-society> ?p ?o } FILTER(?g != <data/metadata>) }"
    answer = web.get(
        server.url + "/sparql", params={"query": ask}, headers={"Accept": "application/sparql-results+json"}
    )
    assert answer.json()["boolean"] is False
    (initial,) = web.get(
        server.url + "/doc/organisation/royal-society/history", headers={"Accept": "application/json"}
    ).json()["versions"]
    kept = web.get(server.url + "/doc/organisation/royal-society/" + initial["statements"])
    assert "Royal Society" in kept.text
    assert web.post(withdraw, json={"reason": "again"}, headers=bearer(tokens["moderator"])).status_code == 404
    comeback = (
        PREFIXES
        + '<id/organisation/royal-society> a org:Organization ; skos:prefLabel "Royal Society"@en ; dcterms:source <https://royalsociety.org/> .'
    )
    sent = submit(server, comeback, accept_terms="true").json()
    refused = web.post(server.url + f"/submissions/{sent['id']}/approve", headers=bearer(tokens["moderator"]))
    assert refused.status_code == 409 and "withdrawn or merged" in refused.text
    assert web.get(server.url + "/doc/organisation/royal-society").status_code == 410
    rejected = web.post(
        server.url + f"/submissions/{sent['id']}/reject",
        json={"reason": "Withdrawn."},
        headers=bearer(tokens["moderator"]),
    )
    assert rejected.status_code == 200, "a refused approval leaves the submission free to be rejected"


def test_a_merged_record_redirects_to_the_survivor(contributions):
    server, tokens = contributions
    merge = server.url + "/records/organisation/the-data-lab/merge"
    moderator = bearer(tokens["moderator"])
    assert (
        web.post(merge, json={"reason": "Same body.", "into": "id/organisation/no-such"}, headers=moderator).status_code
        == 400
    )
    assert (
        web.post(
            merge, json={"reason": "Same body.", "into": "id/organisation/the-data-lab"}, headers=moderator
        ).status_code
        == 400
    )
    across = {"reason": "Same body.", "into": "id/person/sue-daley"}
    assert web.post(merge, json=across, headers=moderator).status_code == 400
    assert web.post(merge, json={"reason": ["a"], "into": "id/organisation/odi"}, headers=moderator).status_code == 400
    done = web.post(
        merge, json={"reason": "Same body.", "into": "id/organisation/smart-data-foundry"}, headers=moderator
    )
    assert done.status_code == 200, done.text
    moved = web.get(server.url + "/doc/organisation/the-data-lab", headers={"Accept": "text/html"})
    assert moved.status_code == 301 and moved.headers["location"] == "/doc/organisation/smart-data-foundry"
    followed = web.get(
        server.url + "/id/organisation/the-data-lab", headers={"Accept": "text/html"}, follow_redirects=True
    )
    assert followed.status_code == 200 and str(followed.url).endswith("/doc/organisation/smart-data-foundry")


def test_the_change_feed_lists_creates_updates_and_tombstones_newest_first(contributions):
    import xml.etree.ElementTree as ET

    server, tokens = contributions
    moderator = bearer(tokens["moderator"])
    first = NEW_ORGANISATION.format(number="05432109").replace("cymru-data-co-op", "feed-data-forum")
    for body in (first, first.replace('"Cymru Data Co-op"@en', '"Feed Data Forum"@en')):
        sent = submit(server, body, accept_terms="true").json()
        assert web.post(server.url + f"/submissions/{sent['id']}/approve", headers=moderator).status_code == 200
    ended = web.post(
        server.url + "/records/organisation/feed-data-forum/withdraw", json={"reason": "Closed."}, headers=moderator
    )
    assert ended.status_code == 200

    feed = web.get(server.url + "/changes", headers={"Accept": "application/activity+json"})
    assert feed.headers["content-type"].startswith("application/activity+json")
    collection = feed.json()
    assert collection["type"] == "OrderedCollection"
    thing = f"{BASE}/id/organisation/feed-data-forum"
    mine = [
        i
        for i in collection["orderedItems"]
        if thing in (i["object"], i["object"].get("id") if isinstance(i["object"], dict) else None)
    ]
    assert [i["type"] for i in mine] == ["Delete", "Update", "Create"]
    assert mine[0]["object"]["type"] == "Tombstone" and mine[0]["summary"] == "Closed."
    times = [i["published"] for i in collection["orderedItems"]]
    assert times == sorted(times, reverse=True)

    atom = web.get(server.url + "/changes", headers={"Accept": "application/atom+xml"})
    entries = ET.fromstring(atom.content).findall("{http://www.w3.org/2005/Atom}entry")
    titles = [e.findtext("{http://www.w3.org/2005/Atom}title") for e in entries]
    assert f"Withdrawn: {thing}" in titles and f"Added: {thing}" in titles


def test_a_person_redacted_at_their_request_leaves_the_map_and_its_history(contributions):
    server, tokens = contributions
    moderator = bearer(tokens["moderator"])
    record = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <data/person/bethan-charnley> { ?s ?p ?o } }"
    current = web.get(server.url + "/sparql", params={"query": record}, headers={"Accept": "application/n-triples"})
    assert "Bethan Charnley" in current.text
    sent = submit(server, current.text, headers={"Content-Type": "application/n-triples"}, accept_terms="true").json()
    assert web.post(server.url + f"/submissions/{sent['id']}/approve", headers=moderator).status_code == 200
    history = server.url + "/doc/person/bethan-charnley/history"
    assert len(web.get(history, headers={"Accept": "application/json"}).json()["versions"]) == 2

    redact = server.url + "/records/person/bethan-charnley/redact"
    assert web.post(redact, headers=bearer(tokens["submitter"])).status_code == 403
    done = web.post(redact, headers=moderator)
    assert done.status_code == 200, done.text

    page = web.get(server.url + "/id/person/bethan-charnley", headers={"Accept": "text/html"}, follow_redirects=True)
    assert page.status_code == 410 and "Bethan Charnley" not in page.text and "UK GDPR" in page.text
    ask = 'ASK { GRAPH ?g { ?s ?p ?o } FILTER(CONTAINS(STR(?o), "Bethan Charnley") || CONTAINS(STR(?s), "bethan-charnley-head")) }'
    answer = web.get(
        server.url + "/sparql", params={"query": ask}, headers={"Accept": "application/sparql-results+json"}
    )
    assert answer.json()["boolean"] is False
    assert web.get(history, headers={"Accept": "application/json"}).json()["versions"] == []
    shared = "ASK { ?s <http://purl.org/dc/terms/source> <https://dcmsblog.uk/2022/04/national-data-strategy-forum-network-group-unlocking-the-power-of-data/> }"
    still = web.get(
        server.url + "/sparql", params={"query": shared}, headers={"Accept": "application/sparql-results+json"}
    )
    assert still.json()["boolean"] is True, "sources the person's record cited stay for the records that cite them too"
    review = web.get(server.url + f"/submissions/{sent['id']}/review", headers=moderator)
    assert review.status_code == 200 and "Bethan Charnley" not in review.text
    assert web.post(redact, headers=moderator).status_code == 404


def test_moderators_deciding_at_once_on_one_submission_leave_exactly_one_winner(contributions):
    """Four decisions at once on each of several submissions: exactly one wins each time, whatever the store. Before,
    the claims were a read after an update, and the stores' updates read snapshots: claims made at once all found the
    submission free, all were written, and every moderator lost (seen with Oxigraph's server and with Virtuoso).
    Decisions now take turns (api/turns.py)."""
    from concurrent.futures import ThreadPoolExecutor

    server, tokens = contributions
    moderator = bearer(tokens["moderator"])
    decisions = [
        ("approve", None),
        ("reject", {"reason": "Duplicate."}),
        ("approve", None),
        ("reject", {"reason": "Duplicate."}),
    ]
    for round_ in range(3):
        key = f"contested-data-hub-{round_}"
        body = NEW_ORGANISATION.format(number=f"0432109{round_}").replace("cymru-data-co-op", key)
        sent = submit(server, body, accept_terms="true").json()

        def decide(decision, sent=sent):
            action, payload = decision
            url = server.url + f"/submissions/{sent['id']}/{action}"
            return web.post(url, json=payload, headers=moderator, timeout=60)

        with ThreadPoolExecutor(max_workers=len(decisions)) as pool:
            answers = list(pool.map(decide, decisions))
        codes = sorted(a.status_code for a in answers)
        assert codes == [200] + [409] * (len(decisions) - 1), (round_, [a.text for a in answers])
        winner = decisions[[a.status_code for a in answers].index(200)][0]
        status = web.get(server.url + sent["status_url"]).json()["status"]
        assert status == {"approve": "approved", "reject": "rejected"}[winner]
        public = web.get(server.url + f"/doc/organisation/{key}", headers={"Accept": "text/turtle"})
        assert public.status_code == (200 if winner == "approve" else 404)


def test_approval_with_if_match_refuses_records_changed_since_the_review(contributions):
    server, tokens = contributions
    moderator = bearer(tokens["moderator"])
    base = NEW_ORGANISATION.format(number="03210987").replace("cymru-data-co-op", "stale-review-trust")
    first = submit(server, base, accept_terms="true").json()
    assert web.post(server.url + f"/submissions/{first['id']}/approve", headers=moderator).status_code == 200

    later = [
        submit(server, base.replace('"Cymru Data Co-op"@en', f'"{name}"@en'), accept_terms="true").json()
        for name in ("Stale Review Trust", "Stale Review Trust Ltd")
    ]
    reviewed = web.get(server.url + f"/submissions/{later[0]['id']}/review", headers=moderator)
    tag = reviewed.headers["etag"]
    assert reviewed.headers["content-encoding"] == "gzip" and tag.endswith('-gzip"')  # the compressed review's tag
    assert web.post(server.url + f"/submissions/{later[1]['id']}/approve", headers=moderator).status_code == 200

    stale = web.post(server.url + f"/submissions/{later[0]['id']}/approve", headers={**moderator, "If-Match": tag})
    assert stale.status_code == 412 and "review the submission again" in stale.text
    fresh = web.get(server.url + f"/submissions/{later[0]['id']}/review", headers=moderator).headers["etag"]
    assert fresh != tag
    approved = web.post(server.url + f"/submissions/{later[0]['id']}/approve", headers={**moderator, "If-Match": fresh})
    assert approved.status_code == 200


# Statements about records the submission does not own ------------------------------------------------------------

INNOCENT = (
    PREFIXES
    + """
<id/organisation/innocent-co> a org:Organization ;
    skos:prefLabel "Innocent Co"@en ;
    eco:organisationKind <def/organisation-kind/charity-or-non-profit> ;
    eco:basedIn <id/place/W92000004> ;
    dcterms:source <https://innocent.example/about> .
"""
)
ODI_RECORD = f"{BASE}/data/organisation/odi"
ASK = {"Accept": "application/sparql-results+json"}


def ask(server, query: str) -> bool:
    return web.post(server.url + "/sparql", data={"query": query}, headers=ASK).json()["boolean"]


def record_statements(server, graph: str) -> str:
    """A record graph as N-Triples, as a query of the public store gives it."""
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    return web.post(server.url + "/sparql", data={"query": query}, headers={"Accept": "application/n-triples"}).text


def test_statements_about_another_record_are_a_change_to_that_record_seen_as_such_and_removable_by_its_owner(
    contributions,
):
    """Before, the ODI's statements joined the new record ("exists: False, added 8, removed 0" in the review), its
    page showed them, and a correction of the ODI's record could not remove them."""
    server, tokens = contributions
    moderator = bearer(tokens["moderator"])
    before = record_statements(server, ODI_RECORD)
    hijack = (
        INNOCENT + '<id/organisation/odi> skos:altLabel "ODI (now owned by Innocent Co)"@en ; '
        "dcterms:isPartOf <id/organisation/innocent-co> ."
    )
    sent = submit(server, hijack, accept_terms="true")
    assert sent.status_code == 201, sent.text
    assert ODI_RECORD in sent.json()["records"]
    review = web.get(server.url + f"/submissions/{sent.json()['id']}/review", headers=moderator).json()
    changes = {change["graph"]: change for change in review["changes"]}
    odi = changes[ODI_RECORD]
    assert odi["exists"] and not odi["sent_whole"] and "does not send this record" in odi["note"]
    assert len(odi["added"]) == 2 and odi["removed"] == []
    assert all(line.startswith(f"<{BASE}/id/organisation/odi>") for line in odi["added"])
    new = changes[f"{BASE}/data/organisation/innocent-co"]
    assert new["sent_whole"] and not any("/id/organisation/odi>" in line.split(" ")[0] for line in new["added"])

    approved = web.post(server.url + f"/submissions/{sent.json()['id']}/approve", headers=moderator)
    assert approved.status_code == 200 and ODI_RECORD in approved.json()["records"]
    assert ask(
        server,
        f'ASK {{ GRAPH <{ODI_RECORD}> {{ <id/organisation/odi> skos:altLabel "ODI (now owned by Innocent Co)"@en }} }}',
    )
    assert not ask(server, "ASK { GRAPH <data/organisation/innocent-co> { <id/organisation/odi> ?p ?o } }")
    history = web.get(server.url + "/doc/organisation/odi/history", headers={"Accept": "application/json"}).json()
    assert history["versions"][0]["submission"] == sent.json()["id"]

    # The record's own statements, sent whole (as a correction is), replace it: the added ones go.
    correction = web.post(
        server.url + "/submissions",
        content=before.encode(),
        headers={"Content-Type": "application/n-triples"},
        params={"accept_terms": "true"},
    )
    assert correction.status_code == 201, correction.text
    assert correction.json()["records"] == [ODI_RECORD]
    assert (
        web.post(server.url + f"/submissions/{correction.json()['id']}/approve", headers=moderator).status_code == 200
    )
    assert not ask(server, 'ASK { <id/organisation/odi> skos:altLabel "ODI (now owned by Innocent Co)"@en }')
    assert record_statements(server, ODI_RECORD) == before


def test_a_second_english_name_for_another_organisation_is_refused_as_that_organisation_would_be_then(contributions):
    """The ODI's page title could be made "ODI (now owned by Innocent Co)": checked with the record it would join,
    the ODI would have two English names."""
    server, tokens = contributions
    hijack = INNOCENT + '<id/organisation/odi> skos:prefLabel "ODI (now owned by Innocent Co)"@en .'
    before = pending(server, tokens["moderator"])
    refused = submit(server, hijack, accept_terms="true")
    assert refused.status_code == 422
    odi = [record for record in refused.json()["records"] if record["record"] == f"{BASE}/id/organisation/odi"]
    assert odi and any(result["severity"] == "Violation" for result in odi[0]["results"])
    assert pending(server, tokens["moderator"]) == before


@pytest.mark.parametrize(
    ("statements", "named"),
    [
        ('<def/ecosystem/Activity> rdfs:label "Hijacked"@en .', "<def/ecosystem/Activity>"),
        (
            '<def/nds-pillar/data-skills> skos:altLabel "x"@en ; skos:definition "y"@en .',
            "<def/nds-pillar/data-skills>",
        ),
        ('<id/place/W92000004> skos:altLabel "Not Wales"@en .', "<id/place/W92000004>"),
        ('<data/metadata> dcterms:title "Ours"@en .', "<data/metadata>"),
    ],
    ids=["ontology", "concept", "place", "metadata"],
)
def test_statements_about_the_ontology_vocabularies_places_or_metadata_are_refused(contributions, statements, named):
    """Before, the ontology's Activity class gained a label and a concept an alternative label and a definition."""
    server, tokens = contributions
    before = pending(server, tokens["moderator"])
    body = "@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .\n" + INNOCENT + statements
    refused = submit(server, body, accept_terms="true")
    assert refused.status_code == 422
    [problem] = refused.json()["problems"]
    assert problem.startswith(named) and "no submission may state things about it" in problem
    assert pending(server, tokens["moderator"]) == before


def test_an_activity_with_a_key_another_record_holds_is_a_change_to_that_record_never_a_second_graph(contributions):
    """Before, a typed activity with the key of the ODI's guide became a record of its own, data/activity/<key>."""
    server, tokens = contributions
    moderator = bearer(tokens["moderator"])
    before = record_statements(server, ODI_RECORD)
    body = (
        INNOCENT.replace("innocent-co", "guide-taker")
        + '<id/activity/odi-data-sharing-risk-guide> a eco:Activity ; skos:altLabel "Our guide"@en ; '
        "eco:runBy <id/organisation/guide-taker> ."
    )
    sent = submit(server, body, accept_terms="true")
    assert sent.status_code == 201, sent.text
    assert sorted(sent.json()["records"]) == [f"{BASE}/data/organisation/guide-taker", ODI_RECORD]
    assert web.post(server.url + f"/submissions/{sent.json()['id']}/approve", headers=moderator).status_code == 200
    assert not ask(server, "ASK { GRAPH <data/activity/odi-data-sharing-risk-guide> { ?s ?p ?o } }")
    assert ask(server, f"ASK {{ GRAPH <{ODI_RECORD}> {{ <id/activity/odi-data-sharing-risk-guide> eco:runBy ?who }} }}")
    restore = web.post(
        server.url + "/submissions",
        content=before.encode(),
        headers={"Content-Type": "application/n-triples"},
        params={"accept_terms": "true"},
    )
    assert web.post(server.url + f"/submissions/{restore.json()['id']}/approve", headers=moderator).status_code == 200


def role_of(server, record: str) -> str:
    query = f"SELECT ?role WHERE {{ GRAPH <data/metadata> {{ <{record}> eco:contributorRole ?role }} }}"
    [row] = web.post(server.url + "/sparql", data={"query": query}, headers=ASK).json()["results"]["bindings"]
    return row["role"]["value"].rsplit("/", 1)[-1]


def test_a_claim_to_speak_for_the_organisation_is_published_as_such_only_once_a_moderator_has_checked_it(
    contributions,
):
    server, tokens = contributions
    moderator = bearer(tokens["moderator"])
    sent = []
    for name in ("Claimed Unchecked Ltd", "Claimed Checked Ltd"):
        form = {"organisation.name": name, "claim": "1", "contact": "head@claimed.example", "accept_terms": "yes"}
        answer = web.post(server.url + "/submit", data=form)
        assert answer.status_code == 201, answer.text
        [submission] = re.findall(r"/submissions/([0-9a-f]{32})", answer.text)[:1]
        sent.append(submission)
    found = [web.get(server.url + f"/submissions/{key}").json() for key in sent]
    assert found[0]["contributor_role"] == "unverified-organisation"
    approve = [f"{server.url}/submissions/{submission['id']}/approve" for submission in found]
    unchecked = web.post(approve[0], headers=moderator)
    checked = web.post(approve[1], headers=moderator, json={"claim_checked": True})
    assert unchecked.status_code == checked.status_code == 200, (unchecked.text, checked.text)
    assert role_of(server, unchecked.json()["records"][0]) == "unverified-organisation"
    assert role_of(server, checked.json()["records"][0]) == "organisation"


def test_checking_a_claim_no_submission_made_is_refused(contributions):
    server, tokens = contributions
    body = NEW_ORGANISATION.format(number="07070707").replace("cymru-data-co-op", "claimless-co")
    sent = submit(server, body, accept_terms="true").json()
    refused = web.post(
        server.url + f"/submissions/{sent['id']}/approve",
        headers=bearer(tokens["moderator"]),
        json={"claim_checked": True},
    )
    assert refused.status_code == 400 and "claims to speak for no organisation" in refused.json()["error"]
    assert status_of(server, sent["id"])["status"] == "pending"


def test_the_contact_address_may_come_in_the_from_header_and_the_status_link_stays_out_of_the_log(contributions):
    """Before, the contact address could only travel in the URL (?contact=…), which proxies log; and the access log
    wrote each private status link in full."""
    server, tokens = contributions
    body = NEW_ORGANISATION.format(number="06060606").replace("cymru-data-co-op", "from-header-co")
    sent = submit(server, body, headers={**TURTLE, "From": "lead@from-header.example"}, accept_terms="true")
    assert sent.status_code == 201, sent.text
    review = web.get(server.url + f"/submissions/{sent.json()['id']}/review", headers=bearer(tokens["moderator"]))
    assert review.status_code == 200 and review.json()["contact"] == "lead@from-header.example"
    status = web.get(server.url + sent.json()["status_url"], headers={"X-Request-Id": "status-link-read"})
    assert status.status_code == 200 and "lead@from-header.example" not in status.text
    line = logged(server, "status-link-read")["status-link-read"]
    assert line["path"] == "/submissions/{status_key}" and sent.json()["status_url"] not in json.dumps(line)


def test_a_moderator_checks_a_claim_from_the_command_line(contributions):
    server, tokens = contributions
    form = {"organisation.name": "Claimed On The Command Line Ltd", "claim": "1", "contact": "cli@claimed.example"}
    sent = web.post(server.url + "/submit", data={**form, "accept_terms": "yes"})
    assert sent.status_code == 201, sent.text
    [key] = re.findall(r"/submissions/([0-9a-f]{32})", sent.text)[:1]
    submission = web.get(server.url + f"/submissions/{key}").json()["id"]
    moderator = ["--server", server.url, "--token", tokens["moderator"]]
    shown = server.ecomap("review", "show", submission, *moderator)
    assert (
        "(unverified-organisation)" in shown.stdout and "Contact address (private): cli@claimed.example" in shown.stdout
    )
    approved = server.ecomap("review", "approve", submission, *moderator, "--claim-checked")
    assert approved.returncode == 0, approved.stderr
    record = approved.stdout.strip().removeprefix("Approved: ")
    assert role_of(server, record) == "organisation"
