"""`ecomap links check`: every outbound link checked offline against its target's form, and online, politely
and with a cache, against a real local web server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest
import rdflib
import web
from conftest import BASE, SAME_OVER_EITHER, one_pass, one_pass_only

pytestmark = one_pass("embedded", SAME_OVER_EITHER)

FAULTY = """@prefix owl: <http://www.w3.org/2002/07/owl#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
<data/test-links> {
  <id/organisation/odi> skos:exactMatch <http://www.wikidata.org/entity/X42> .
  <id/place/W92000004> owl:sameAs <http://statistics.data.gov.uk/id/statistical-geography/S92000003> .
  <id/organisation/techuk> foaf:homepage <ftp://techuk.example/> .
}
"""


@one_pass_only
def test_the_seed_s_links_all_have_their_target_s_form(ecomap):
    assert ecomap("init").returncode == 0
    checked = ecomap("links", "check")
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.strip().endswith("0 problem(s).") and int(checked.stdout.split()[0]) > 40


@one_pass_only
def test_links_of_the_wrong_form_are_reported_with_what_they_should_be(ecomap, tmp_path):
    assert ecomap("init").returncode == 0
    faulty = tmp_path / "faulty.trig"
    faulty.write_text(FAULTY, encoding="utf-8")
    assert ecomap("load", str(faulty)).returncode == 0
    checked = ecomap("links", "check")
    assert checked.returncode == 1
    lines = checked.stdout.splitlines()
    assert any("entity/X42" in line and "not of the form of wikidata URIs" in line for line in lines)
    assert any("W92000004" in line and "GSS code W92000004" in line for line in lines)
    assert any("ftp://techuk.example/" in line and "not a web address" in line for line in lines)
    assert lines[-1].endswith("3 problem(s).")


class Pages(BaseHTTPRequestHandler):
    """/ok answers 200, anything else 404; HEAD is refused on /head-refused, as some servers do."""

    seen: ClassVar[list[tuple[str, str]]] = []

    def _answer(self, body: bool) -> None:
        Pages.seen.append((self.command, self.path))
        if self.path == "/head-refused" and self.command == "HEAD":
            self.send_response(405)
        else:
            self.send_response(200 if self.path in ("/ok", "/head-refused") else 404)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_HEAD(self) -> None:
        self._answer(False)

    def do_GET(self) -> None:
        self._answer(True)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Pages)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@one_pass_only
def test_online_the_broken_links_are_found_and_the_answers_cached(ecomap, tmp_path, site):
    assert ecomap("init").returncode == 0
    pages = tmp_path / "pages.trig"
    pages.write_text(
        f"""@prefix foaf: <http://xmlns.com/foaf/0.1/> . <data/test-pages> {{
  <id/organisation/odi> foaf:page <{site}/ok>, <{site}/gone>, <{site}/head-refused> . }}""",
        encoding="utf-8",
    )
    assert ecomap("load", str(pages)).returncode == 0
    cache = tmp_path / "links.json"
    args = ("links", "check", "--online", "--only", site + "/", "--interval", "0.05", "--cache", str(cache))
    Pages.seen.clear()
    first = ecomap(*args)
    assert first.returncode == 1
    broken = [line for line in first.stdout.splitlines() if "broken" in line]
    assert len(broken) == 1 and f"{site}/gone" in broken[0] and "answered 404" in broken[0]
    assert ("GET", "/head-refused") in Pages.seen, "a refused HEAD is retried as GET"
    assert set(json.loads(cache.read_text())) == {f"{site}/ok", f"{site}/gone", f"{site}/head-refused"}

    Pages.seen.clear()
    again = ecomap(*args)
    assert again.stdout == first.stdout and Pages.seen == [], "a second check within a week asks nobody"


def test_organisations_link_to_companies_house_by_their_number_and_the_register_s_pattern(server):
    turtle = web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"}).text
    graph = rdflib.Graph().parse(data=turtle, format="turtle")
    odi = rdflib.URIRef(BASE + "/id/organisation/odi")
    company = rdflib.URIRef("http://business.data.gov.uk/id/company/08030289")
    assert (odi, rdflib.SKOS.exactMatch, company) in graph
    royal_society = web.get(server.url + "/doc/organisation/royal-society", headers={"Accept": "text/turtle"}).text
    assert "business.data.gov.uk" not in royal_society, "a charity number has no register pattern, so no link"
