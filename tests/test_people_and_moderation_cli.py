"""A named person asks for their details to be corrected or removed, and moderators do the work from the
command line: read and answer the requests, redact, withdraw and merge records, submit a spreadsheet."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import web
from conftest import BASE, SAME_OVER_EITHER, make_tokens, one_pass, start_app, stop_server
from helpers import bearer

pytestmark = one_pass("embedded", SAME_OVER_EITHER)

EXAMPLES = Path(__file__).resolve().parent.parent / "docs" / "examples"
SPARQL_JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    folder = tmp_path_factory.mktemp("people")
    server = start_app(folder, ECOMAP_SUBMISSIONS_PER_MINUTE="1000")
    yield server, make_tokens(server)
    stop_server(server)


def ask(server, query: str) -> bool:
    return web.get(server.url + "/sparql", params={"query": query}, headers=SPARQL_JSON).json()["boolean"]


def test_a_person_asks_for_removal_and_a_moderator_redacts_and_answers_from_the_command_line(served):
    server, tokens = served
    page = web.get(server.url + "/doc/person/sue-daley", headers={"Accept": "text/html"})
    assert 'href="/records/person/sue-daley/request"' in page.text
    form = web.get(server.url + "/records/person/sue-daley/request")
    assert form.status_code == 200 and "If you are Sue Daley" in form.text
    assert web.get(server.url + "/records/person/nobody-here/request").status_code == 404

    incomplete = web.post(server.url + "/records/person/sue-daley/request", data={"kind": "correct"})
    assert incomplete.status_code == 422
    assert "Say what is wrong" in incomplete.text and "Give an e-mail address" in incomplete.text
    words = "Please remove me: I have <b>left</b> the forum."
    sent = web.post(
        server.url + "/records/person/sue-daley/request",
        data={"kind": "remove", "details": words, "contact": "sue@example.org"},
    )
    assert sent.status_code == 201 and "sue@example.org" in sent.text
    assert "<b>left</b>" not in sent.text
    assert not ask(server, 'ASK { ?s ?p ?o FILTER(CONTAINS(STR(?o), "sue@example.org")) }'), "never published"

    assert web.get(server.url + "/requests").status_code == 401
    assert web.get(server.url + "/requests", headers=bearer(tokens["submitter"])).status_code == 403
    moderator = ["--server", server.url, "--token", tokens["moderator"]]
    listed = server.ecomap("requests", "list", *moderator)
    assert listed.returncode == 0, listed.stderr
    line = next(x for x in listed.stdout.splitlines() if "sue-daley" in x)
    request_id, _, kind, person, contact = line.split("\t")
    assert (kind, person, contact) == ("remove", BASE + "/id/person/sue-daley", "sue@example.org")
    assert words in listed.stdout

    redacted = server.ecomap("records", "redact", "person/sue-daley", *moderator)
    assert redacted.returncode == 0 and "Redacted" in redacted.stdout, redacted.stderr
    assert web.get(server.url + "/doc/person/sue-daley").status_code == 410
    assert not ask(server, 'ASK { ?s ?p ?o FILTER(CONTAINS(STR(?o), "Sue Daley")) }')

    answered = server.ecomap("requests", "answer", request_id, "--answer", "Removed on 30 Nov.", *moderator)
    assert answered.returncode == 0, answered.stderr
    again = server.ecomap("requests", "answer", request_id, "--answer", "Twice.", *moderator)
    assert again.returncode == 1 and "409" in again.stderr
    assert request_id not in server.ecomap("requests", "list", *moderator).stdout
    done = server.ecomap("requests", "list", "--status", "answered", *moderator)
    assert request_id in done.stdout


def test_moderators_withdraw_and_merge_records_from_the_command_line(served):
    server, tokens = served
    moderator = ["--server", server.url, "--token", tokens["moderator"]]
    refused = server.ecomap(
        "records",
        "withdraw",
        "organisation/pwc",
        "--reason",
        "x",
        "--server",
        server.url,
        "--token",
        tokens["submitter"],
    )
    assert refused.returncode == 1 and "403" in refused.stderr
    withdrawn = server.ecomap(
        "records",
        "withdraw",
        "organisation/pwc",
        "--reason",
        "Not part of the pilot's scope.",
        *moderator,
    )
    assert withdrawn.returncode == 0, withdrawn.stderr
    gone = web.get(server.url + "/doc/organisation/pwc", headers={"Accept": "text/html"})
    assert gone.status_code == 410 and "Not part of the pilot" in gone.text

    merged = server.ecomap(
        "records",
        "merge",
        "organisation/nds-forum-secretariat",
        "--into",
        "organisation/nds-forum",
        "--reason",
        "One body.",
        *moderator,
    )
    assert merged.returncode == 0, merged.stderr
    moved = web.get(server.url + "/doc/organisation/nds-forum-secretariat")
    assert moved.status_code == 301 and moved.headers["location"].endswith("/doc/organisation/nds-forum")

    unnamed = server.ecomap("records", "withdraw", "pwc", "--reason", "x", *moderator)
    assert unnamed.returncode == 2 and "CLASS/KEY" in unnamed.stderr


def test_a_spreadsheet_sent_from_the_command_line_names_the_row_and_column_to_fix(served, tmp_path):
    server, _ = served
    sheet = tmp_path / "ours.csv"
    shutil.copy(EXAMPLES / "organisations-with-a-mistake.csv", sheet)
    wrong = server.ecomap("submit", str(sheet), "--server", server.url, "--accept-terms")
    assert wrong.returncode == 1
    assert "row 2, column kind_of_organisation" in wrong.stdout + wrong.stderr
    shutil.copy(EXAMPLES / "organisations.csv", sheet)
    stored = server.ecomap("submit", str(sheet), "--server", server.url, "--accept-terms")
    assert stored.returncode == 0 and "Stored as pending" in stored.stdout, stored.stderr
