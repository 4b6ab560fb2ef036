"""HTTP as clients expect it of any server: ``HEAD`` wherever ``GET`` is served, and the media types real clients
ask for by other names."""

from __future__ import annotations

import re

import rdflib
import web
from conftest import BASE, SAME_OVER_EITHER, one_pass
from rdflib.namespace import SKOS

pytestmark = one_pass("remote", SAME_OVER_EITHER)

# A value for each path parameter of the OpenAPI: a real thing where there is one, else a name that finds nothing
# (HEAD must then give GET's 404 too).
PATH_VALUES = {
    "uri_class": "organisation",
    "key": "odi",
    "path": "ecosystem",
    "name": "ecomap.nq.gz",
    "version": "no-such-version",
    "status_key": "no-such-key",
    "submission_id": "0123456789abcdef0123456789abcdef",
    "identifier": "GB-COH-04325234",
}
# What may differ between any two answers, HEAD or not: the time, the request's own id, how long it took, and
# whether it came from the answers kept per data version (only those that took long enough to make are kept).
PER_REQUEST = {"date", "x-request-id", "server-timing", "ecomap-cache"}
# Answers that count the requests themselves, so that no two have the same length.
COUNTING = {"/metrics"}


def test_every_get_route_answers_head_with_the_same_status_and_headers_and_no_body(server):
    """Every GET operation of the OpenAPI; before, each answered HEAD with 405."""
    paths = web.get(server.url + "/openapi.json").json()["paths"]
    tried = 0
    for template, operations in paths.items():
        if "get" not in operations:
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m[1]], template)
        web.get(server.url + path)  # first, so that an answer kept per data version is kept for both
        got = web.get(server.url + path)
        head = web.head(server.url + path)
        assert head.status_code == got.status_code, (path, head.status_code, got.status_code)
        assert head.content == b"", path
        differing = {
            name: (head.headers.get(name), got.headers.get(name))
            for name in set(head.headers) | set(got.headers)
            if name not in PER_REQUEST
            and not (name == "content-length" and path in COUNTING)
            # The framing of a streamed answer: a server MAY send it in answer to HEAD (RFC 9112, 6.1); uvicorn's
            # httptools protocol does not.
            and not (name == "transfer-encoding" and name not in head.headers)
            and head.headers.get(name) != got.headers.get(name)
        }
        assert differing == {}, path
        tried += 1
    assert tried >= 60


def test_documents_come_to_rdflib_as_n_triples_and_to_json_clients_as_json_ld(server):
    """rdflib's ``Graph().parse(url, format="nt")`` sends ``Accept: text/plain, */*;q=0.1`` and got the HTML page;
    ``Accept: text/plain`` alone got 406, and ``application/json`` was not taken for JSON-LD."""
    graph = rdflib.Graph().parse(server.url + "/id/organisation/odi", format="nt")
    assert (
        rdflib.URIRef(f"{BASE}/id/organisation/odi"),
        SKOS.prefLabel,
        rdflib.Literal("Open Data Institute", lang="en"),
    ) in graph
    for accept, media_type in (("text/plain", "application/n-triples"), ("application/json", "application/ld+json")):
        answer = web.get(server.url + "/doc/organisation/odi", headers={"Accept": accept})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(media_type), accept
    assert (
        web.get(server.url + "/doc/organisation/odi", params={"format": "json"})
        .headers["content-type"]
        .startswith("application/ld+json")
    )


def test_cache_control_keeps_the_public_map_revalidated_and_nothing_private(server):
    """No answer said how it may be cached (issue 21); now each does, by one policy (api/cache_control.py)."""
    page = web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"})
    assert page.headers["cache-control"] == "public, no-cache" and page.headers["etag"]
    again = web.get(
        server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle", "If-None-Match": page.headers["etag"]}
    )
    assert again.status_code == 304 and again.headers["cache-control"] == "public, no-cache"
    redirect = web.get(server.url + "/id/organisation/odi", headers={"Accept": "text/turtle"})
    assert redirect.status_code == 303 and redirect.headers["cache-control"] == "public, max-age=3600"
    asset = web.get(server.url + "/static/ecomap.css")
    assert asset.status_code == 200 and asset.headers["cache-control"] == "public, max-age=86400"
    for private in (
        web.get(server.url + "/submissions", headers={"Authorization": "Bearer not-a-token"}),
        web.get(server.url + "/submissions/no-such-key"),
        web.post(server.url + "/sparql", data={"query": "ASK {}"}),
        web.get(server.url + "/doc/organisation/no-such-organisation"),
    ):
        assert private.headers["cache-control"] == "no-store", private.request.url


def test_answers_do_not_name_the_server_software(server):
    """Every answer said `server: uvicorn`, those of the HTTP parser's refusals too: a fingerprint for whoever looks for
    a version with a known flaw, and nothing a client needs."""
    refused = web.request("MADEUP1", server.url + "/")  # refused by the HTTP parser, before the app
    assert refused.status_code == 400 and "server" not in refused.headers, refused.headers
    for answer in (
        web.get(server.url + "/"),
        web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"}),
        web.post(server.url + "/sparql", data={"query": "ASK {}"}),
        web.get(server.url + "/doc/organisation/no-such-organisation"),
        web.head(server.url + "/organisations"),
    ):
        assert "server" not in answer.headers, (answer.request.url, answer.headers["server"])


def test_a_script_on_another_site_can_read_the_headers_it_needs(server):
    """CORS sent no Access-Control-Expose-Headers: a script elsewhere could not read Link (pagination), ETag,
    Retry-After, Location, X-Request-Id or Ecomap-Result-Cap."""
    origin = {"Origin": "https://catalogue.example"}
    answer = web.get(server.url + "/organisations", headers={**origin, "Accept": "application/json"})
    assert answer.headers["access-control-allow-origin"] == "*"
    exposed = {name.strip().lower() for name in answer.headers["access-control-expose-headers"].split(",")}
    assert {"link", "etag", "retry-after", "location", "x-request-id", "ecomap-result-cap"} <= exposed
    preflight = web.request(
        "OPTIONS",
        server.url + "/sparql",
        headers={**origin, "Access-Control-Request-Method": "HEAD", "Access-Control-Request-Headers": "accept"},
    )
    assert preflight.status_code == 200 and "HEAD" in preflight.headers["access-control-allow-methods"]


def test_a_compressed_answer_has_an_entity_tag_of_its_own_and_either_tag_is_revalidated(server):
    """The gzipped and the plain answer carried one strong ETag (issue 21): two representations, one tag, so a cache
    could splice one's bytes onto the other. Now the compressed one's tag names its encoding; both get a 304."""
    url = server.url + "/organisations"
    plain = web.get(url, headers={"Accept-Encoding": "identity"})
    packed = web.get(url, headers={"Accept-Encoding": "gzip"})
    assert packed.headers["content-encoding"] == "gzip" and "content-encoding" not in plain.headers
    assert packed.headers["etag"] == plain.headers["etag"][:-1] + '-gzip"'
    for tag in (plain.headers["etag"], packed.headers["etag"], "W/" + packed.headers["etag"]):
        for accept_encoding in ("gzip", "identity"):
            again = web.get(url, headers={"If-None-Match": f'"other", {tag}', "Accept-Encoding": accept_encoding})
            assert again.status_code == 304, (tag, accept_encoding)
    assert web.get(url, headers={"If-None-Match": '"other"'}).status_code == 200


def test_answers_are_compressed_for_clients_that_accept_gzip(server):
    """No answer was compressed, whatever the client accepted (issue 21). That a capped or stopped stream still ends
    without its last chunk, compressed, tests/test_abuse.py and tests/test_limits.py show (httpx asks for gzip)."""
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 2000"
    for accept_encoding, encoding in (("gzip", "gzip"), ("identity", None)):
        answer = web.post(
            server.url + "/sparql",
            data={"query": construct},
            headers={"Accept": "application/n-triples", "Accept-Encoding": accept_encoding},
        )
        assert answer.status_code == 200 and answer.headers.get("content-encoding") == encoding, accept_encoding
        assert "accept-encoding" in answer.headers["vary"].lower()
        assert len(rdflib.Graph().parse(data=answer.text, format="nt")) > 1000  # httpx undid the compression
    search = {"q": "Open Data Institute"}
    page = web.get(server.url + "/organisations", params=search, headers={"Accept-Encoding": "gzip"})
    assert page.headers["content-encoding"] == "gzip" and "Open Data Institute" in page.text
    head = web.head(server.url + "/organisations", params=search, headers={"Accept-Encoding": "gzip"})
    assert head.headers["content-encoding"] == "gzip" and head.headers.get("content-length") == page.headers.get(
        "content-length"
    )
