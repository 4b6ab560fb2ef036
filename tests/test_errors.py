"""Every refusal answers in the form its client asked for (``api/errors.py``): plain text by default from the pages,
documents and ``/sparql``; RFC 9457 problem details by default from the contribution routes; a page for a browser;
and whichever of them ``Accept`` names, from any route."""

from __future__ import annotations

import web
from conftest import SAME_OVER_EITHER, one_pass

pytestmark = one_pass("remote", SAME_OVER_EITHER)

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
PROBLEM = "application/problem+json"


def test_an_unknown_address_is_text_by_default_a_page_for_a_browser_and_problem_details_when_asked(server):
    url = server.url + "/no/such/address"
    text = web.get(url)
    assert text.status_code == 404 and text.headers["content-type"].startswith("text/plain")
    assert (
        text.text == "ecomap knows nothing called /no/such/address. Search the map at /sparql, or check the address.\n"
    )
    page = web.get(url, headers={"Accept": BROWSER})
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Not found</h1>" in page.text and "<code>/no/such/address</code>" in page.text
    details = web.get(url, headers={"Accept": PROBLEM})
    assert details.status_code == 404 and details.headers["content-type"] == PROBLEM
    assert details.json() == {
        "type": "about:blank",
        "title": "Not Found",
        "status": 404,
        "detail": text.text.strip(),
        "error": text.text.strip(),
    }
    assert all("Accept" in answer.headers["vary"] for answer in (text, page, details))


def test_a_document_asked_for_with_a_suffix_is_not_found_in_that_suffix_form(server):
    turtle = web.get(server.url + "/doc/organisation/no-such-organisation.ttl", headers={"Accept": BROWSER})
    assert turtle.status_code == 404 and turtle.headers["content-type"].startswith("text/plain")
    page = web.get(server.url + "/doc/organisation/no-such-organisation.html")
    assert page.status_code == 404 and "<h1>Not found</h1>" in page.text


def test_a_contribution_route_refuses_with_problem_details_unless_asked_for_text(server):
    sent = {"content": b"<a> <b> <c> .", "headers": {"Content-Type": "text/plain"}}
    details = web.post(server.url + "/submissions", **sent)
    assert details.status_code == 415 and details.headers["content-type"] == PROBLEM
    body = details.json()
    assert body["status"] == 415 and body["title"] == "Unsupported Media Type"
    assert body["detail"] == body["error"] and "Turtle" in body["detail"]
    text = web.post(
        server.url + "/submissions", content=sent["content"], headers={**sent["headers"], "Accept": "text/plain"}
    )
    assert text.status_code == 415 and text.headers["content-type"].startswith("text/plain")
    assert text.text == body["detail"] + "\n"


def test_the_sparql_endpoint_refuses_in_text_unless_problem_details_are_asked_for(server):
    url = server.url + "/sparql"
    text = web.get(url, params={"query": "SELEC * {}"}, headers={"Accept": "application/sparql-results+json"})
    assert text.status_code == 400 and text.headers["content-type"].startswith("text/plain")
    details = web.get(url, params={"query": "SELEC * {}"}, headers={"Accept": PROBLEM})
    assert details.status_code == 400 and details.json()["detail"] == text.text.strip()


def test_a_problem_page_escapes_what_the_client_sent(server):
    script = "<script>alert(1)</script>"
    refused = web.post(
        server.url + "/submissions",
        params={"contact": script, "dry_run": "true"},
        content=b"<https://example.org/a> <https://example.org/b> <https://example.org/c> .",
        headers={"Content-Type": "text/turtle", "Accept": BROWSER},
    )
    assert refused.status_code == 400 and refused.headers["content-type"].startswith("text/html")
    assert script not in refused.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt; is not an e-mail address" in refused.text


def test_every_negotiating_route_takes_format_or_accept_and_refuses_what_it_does_not_offer(server):
    """Negotiation is one dependency (api/negotiation.py): format= wins over Accept on every route that uses it,
    including those that had only Accept before (the dataset, a record's history, the change feed)."""
    dataset = web.get(server.url + "/dataset", params={"format": "ttl"}, headers={"Accept": BROWSER})
    assert dataset.status_code == 200 and dataset.headers["content-type"].startswith("text/turtle")
    history = web.get(server.url + "/doc/organisation/odi/history", params={"format": "html"})
    assert history.status_code == 200 and history.headers["content-type"].startswith("text/html")
    feed = web.get(server.url + "/changes", params={"format": "application/ld+json"}, headers={"Accept": BROWSER})
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/ld+json")
    listed = web.get(server.url + "/organisations", params={"format": "json"}, headers={"Accept": BROWSER})
    assert listed.status_code == 200 and listed.headers["content-type"].startswith("application/json")
    refused = web.get(server.url + "/organisations", params={"format": "ttl"})
    assert refused.status_code == 406 and refused.text == "format=ttl is not one of html, json.\n"
    unacceptable = web.get(server.url + "/leads", headers={"Accept": "image/png"})
    assert unacceptable.status_code == 406 and unacceptable.headers["content-type"] == PROBLEM
    declared = web.get(server.url + "/openapi.json").json()["paths"]
    for path in ("/dataset", "/doc/{uri_class}/{key}/history", "/changes", "/organisations", "/leads", "/network"):
        assert "format" in {p["name"] for p in declared[path]["get"]["parameters"]}, path
