"""One data version per state of the public data: entity tags and kept answers follow it, and no answer from
before an approval is served after it."""

from __future__ import annotations

import csv
import io
import json
import os
import threading
import time

import anyio
import pytest
import web
from conftest import BASE, environment, make_tokens, one_pass_only, start_app, start_server, stop_server
from fastapi import APIRouter
from helpers import NEW_ORGANISATION, bearer, kept_copy, submit

from api.answers import KEPT_FLAG, TRIM_EVERY, TRUSTED_S, AnswerCache, KeptRoutes, kept_get
from graph.rdf.query_text import prologue
from graph.serving import running
from graph.settings import Settings
from graph.store.protocol import ProtocolStore
from graph.version import bump_update

# In both passes: over the stores ecomap serve runs, the workers learn of a change from its announcement; over
# remote stores, they read the data version for every request.

MATRIX = "/queries/coverage-matrix"
SPARQL_JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture(scope="module")
def versioned(tmp_path_factory):
    server = start_server(
        tmp_path_factory.mktemp("versions"),
        workers=2,
        ECOMAP_SUBMISSIONS_PER_MINUTE="1000",
        ECOMAP_QUERIES_PER_MINUTE="0",
        ECOMAP_KEEP_AFTER_MS="0",  # the seed's answers are quick: keep them all, to test the keeping
    )
    yield server, make_tokens(server)
    stop_server(server)


def approve(server, token: str, key: str, number: str) -> None:
    body = NEW_ORGANISATION.format(number=number).replace("cymru-data-co-op", key)
    sent = submit(server, body, accept_terms="true").json()
    approved = web.post(server.url + f"/submissions/{sent['id']}/approve", headers=bearer(token))
    assert approved.status_code == 200, approved.text


def test_pages_and_answers_are_kept_per_version_and_answer_304_while_it_holds(versioned):
    server, _ = versioned
    for path, headers in (
        ("/doc/organisation/odi", {"Accept": "text/turtle"}),
        ("/doc/organisation/odi", {"Accept": "text/html"}),
        ("/organisations", {"Accept": "application/json"}),
        (MATRIX + "?format=csv", {}),
        ("/sparql?query=" + "SELECT%20%3Fs%20WHERE%20%7B%20%3Fs%20a%20eco%3AActivity%20%7D", SPARQL_JSON),
    ):
        first = web.get(server.url + path, headers=headers)
        second = kept_copy(server.url + path, headers)
        assert first.status_code == second.status_code == 200, path
        assert second.headers["ecomap-cache"] == "hit" and second.content == first.content, path
        tag = first.headers["etag"]
        assert tag == second.headers["etag"] and tag.startswith('"v'), path
        unchanged = web.get(server.url + path, headers={**headers, "If-None-Match": tag})
        assert unchanged.status_code == 304 and unchanged.content == b"", path
    html = web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/html"})
    assert "content-security-policy" in html.headers, "a kept page still gets the security headers"


def test_an_approval_changes_the_version_and_no_earlier_answer_is_served_after_it(versioned):
    server, tokens = versioned
    tag = web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"}).headers["etag"]
    before = web.get(server.url + MATRIX, params={"format": "csv", "scheme": "def/nds-pillar"})
    # The approved organisation runs one more data skills activity in Wales: one more organisation, one more activity.
    approve(server, tokens["moderator"], "welsh-skills-network", "07000001")
    after = web.get(server.url + MATRIX, params={"format": "csv", "scheme": "def/nds-pillar"})
    organisations, activities = skills_in_wales(before.text)
    assert skills_in_wales(after.text) == (organisations + 1, activities + 1)
    assert after.headers["ecomap-cache"] == "miss"
    changed = web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle", "If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["etag"] != tag


def skills_in_wales(matrix: str) -> tuple[int, int]:
    """The organisations and activities of the matrix's cell for data skills in Wales, from its CSV."""
    [cell] = [
        row
        for row in csv.DictReader(io.StringIO(matrix.lstrip("\ufeff")))
        if (row["concept"], row["place"]) == (f"{BASE}/def/nds-pillar/data-skills", f"{BASE}/id/place/W92000004")
    ]
    return int(cell["organisations"]), int(cell["activities"])


IN_WALES = "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?o eco:basedIn <id/place/W92000004> }"


def count_in_wales(server) -> int:
    answer = web.get(server.url + "/sparql", params={"query": IN_WALES}, headers=SPARQL_JSON, timeout=30)
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])


def test_readers_never_see_an_answer_from_before_an_approval_that_has_returned(versioned):
    """Readers keep filling the kept answers while approvals happen; after each approval returns, the very next
    read must count the approved organisation."""
    server, tokens = versioned
    stop = threading.Event()

    def read_forever() -> None:
        while not stop.is_set():
            count_in_wales(server)

    readers = [threading.Thread(target=read_forever) for _ in range(3)]
    for reader in readers:
        reader.start()
    try:
        for n in range(5):
            before = count_in_wales(server)
            approve(server, tokens["moderator"], f"concurrent-data-org-{n}", f"0710000{n}")
            after = count_in_wales(server)
            assert after == before + 1, f"approval {n} was not visible at once: {before} then {after}"
    finally:
        stop.set()
        for reader in readers:
            reader.join(timeout=30)


def organisation_in_wales(key: str) -> str:
    organisation = f"<{BASE}/id/organisation/{key}>"
    return (
        f"GRAPH <{BASE}/data/organisation/{key}> {{ {organisation} a <http://www.w3.org/ns/org#Organization> ; "
        f'<http://www.w3.org/2004/02/skos/core#prefLabel> "{key}"@en ; '
        f"<{BASE}/def/ecosystem/basedIn> <{BASE}/id/place/W92000004> }}"
    )


def test_a_change_loaded_from_the_command_line_is_seen_at_once_through_every_worker(versioned, tmp_path):
    server, _ = versioned
    before = [count_in_wales(server) for _ in range(4)]
    record = tmp_path / "loaded.trig"
    record.write_text(organisation_in_wales("loaded-while-serving").removeprefix("GRAPH "), encoding="utf-8")
    done = server.ecomap("load", str(record))
    assert done.returncode == 0, done.stderr
    assert [count_in_wales(server) for _ in range(4)] == [n + 1 for n in before]


def test_a_change_made_past_ecomap_is_seen_within_the_time_a_version_is_trusted(versioned):
    """A writer that is not ecomap (or one that died before announcing its change) announces nothing: the workers
    read the version again at least every TRUSTED_S seconds."""
    server, _ = versioned
    before = count_in_wales(server)
    with environment(server.stores.env):
        settings = Settings.from_env()
    endpoint = settings.store_endpoint or running(settings.store_path).endpoint

    async def write() -> None:
        store = ProtocolStore(endpoint, BASE, prologue(BASE), 30)  # announces no change
        try:
            await store.update(
                f"INSERT DATA {{ {organisation_in_wales('written-past-ecomap')} }} ;\n{bump_update(BASE)}"
            )
        finally:
            await store.close()

    anyio.run(write)
    written = time.monotonic()
    while (seen := count_in_wales(server)) == before and time.monotonic() < written + TRUSTED_S + 5:
        time.sleep(0.1)
    assert seen == before + 1
    assert time.monotonic() - written < TRUSTED_S + 5
    # Each worker trusts the version it read for TRUSTED_S: once that has passed, every one has read it again.
    time.sleep(max(0.0, written + TRUSTED_S + 0.5 - time.monotonic()))
    assert [count_in_wales(server) for _ in range(4)] == [before + 1] * 4


def test_leads_are_found_once_a_version_by_one_worker_and_shared_with_the_others(versioned):
    """Each worker found them itself before: tens of seconds each, after every approval, on a large map."""
    server, _ = versioned
    kept = server.folder / "cache" / "leads"
    answers = [web.get(server.url + "/leads", params={"format": "json"}) for _ in range(8)]
    assert all(answer.status_code == 200 for answer in answers)
    assert len({answer.content for answer in answers}) == 1
    [found] = kept.glob("v*.pickle")
    first = found.stat()
    for _ in range(8):  # the workers take requests in turn as the kernel gives them out: both have answered
        assert web.get(server.url + "/leads", params={"format": "json"}).content == answers[0].content
    assert [p.stat().st_ino for p in kept.glob("v*.pickle")] == [first.st_ino], "found again, not read"


def test_a_query_whose_answer_is_not_fixed_by_the_data_is_never_kept(versioned):
    server, _ = versioned
    query = "SELECT (STRUUID() AS ?id) WHERE {}"
    answers = [web.get(server.url + "/sparql", params={"query": query}, headers=SPARQL_JSON) for _ in range(2)]
    assert "etag" not in answers[1].headers and "ecomap-cache" not in answers[1].headers
    assert answers[0].json() != answers[1].json()


def test_only_answers_and_pages_that_took_long_enough_to_make_are_kept(tmp_path):
    server = start_app(tmp_path, ECOMAP_QUERIES_PER_MINUTE="0", ECOMAP_KEEP_AFTER_MS="60000")
    try:
        query = server.url + "/sparql?query=" + "SELECT%20%3Fs%20WHERE%20%7B%20%3Fs%20a%20eco%3AActivity%20%7D"
        for url, headers in ((query, SPARQL_JSON), (server.url + "/doc/organisation/odi", {"Accept": "text/turtle"})):
            answers = [web.get(url, headers=headers) for _ in range(2)]
            assert [a.status_code for a in answers] == [200, 200]
            assert answers[1].headers.get("ecomap-cache") != "hit" and answers[0].content == answers[1].content
            tag = answers[1].headers["etag"]
            assert web.get(url, headers={**headers, "If-None-Match": tag}).status_code == 304, "still tagged"
        assert not list((server.folder / "cache" / "answers").glob("v*")), "nothing kept"
    finally:
        stop_server(server)


def test_reconciliation_sees_an_approval_at_once_through_every_worker(versioned):
    server, tokens = versioned
    query = {"query": "Cymru Data Co-op", "properties": [{"pid": "registry-number", "v": "GB-COH-07654321"}]}
    batch = {"queries": json.dumps({"q": query})}

    def ids() -> list[set[str]]:
        """The candidates in 4 answers in a row, which the workers share between them."""
        return [
            {r["id"] for r in web.post(server.url + "/reconcile", data=batch).json()["q"]["result"]} for _ in "1234"
        ]

    assert all("reconciled-data-co-op" not in found for found in ids())
    approve(server, tokens["moderator"], "reconciled-data-co-op", "07654321")
    assert all("reconciled-data-co-op" in found for found in ids())


def test_a_name_search_finds_an_approved_organisation_at_once_through_every_worker(versioned):
    server, tokens = versioned

    def found() -> list[set[str]]:
        """The names in 4 answers in a row, which the workers share between them."""
        params = {"q": "quillwort", "format": "json"}
        return [
            {i["name"] for i in web.get(server.url + "/organisations", params=params).json()["items"]} for _ in "1234"
        ]

    assert found() == [set()] * 4
    body = NEW_ORGANISATION.format(number="07654329").replace("cymru-data-co-op", "quillwort-trust")
    sent = submit(server, body.replace("Cymru Data Co-op", "Quillwort Data Trust"), accept_terms="true").json()
    approved = web.post(server.url + f"/submissions/{sent['id']}/approve", headers=bearer(tokens["moderator"]))
    assert approved.status_code == 200, approved.text
    assert found() == [{"Quillwort Data Trust"}] * 4


@pytest.mark.parametrize("path", ["/organisations", "/doc/organisation/odi", "/gaps"])
def test_parameters_a_page_does_not_take_make_no_new_copy_and_never_reach_the_page(versioned, path):
    """Before, ``?zz=<random>`` on any page forced it to be made again and kept as a copy of its own: 6,500 requests
    filled the cache to 5,074 copies at about 180 a second, evicting those worth keeping."""
    server, _ = versioned
    answers = server.folder / "cache" / "answers"

    def kept() -> int:  # not a copy being written (".answer.…", renamed into place when whole)
        return sum(1 for entry in answers.iterdir() if not entry.name.startswith("."))

    first = web.get(server.url + path, params={"zz": "first"})
    copies = None
    for n in range(20):
        response = web.get(server.url + path, params={"zz": f"junk-{n}", "utm_source": "x"})
        if response.headers.get("ecomap-cache") != "hit":  # the first copy is written as its answer ends
            continue
        copies = copies or kept()
        assert response.status_code == 200 and response.headers["etag"] == first.headers["etag"]
        assert "junk" not in response.text
    assert copies is not None and kept() == copies


def test_the_parameters_a_list_takes_still_make_pages_of_their_own(versioned):
    server, _ = versioned
    page = web.get(server.url + "/organisations", params={"per_page": 2, "zz": "x"})
    listed = web.get(server.url + "/organisations", params={"per_page": 2, "format": "json"}).json()
    assert listed["per_page"] == 2 and len(listed["items"]) == 2
    assert page.headers["etag"] != web.get(server.url + "/organisations").headers["etag"]
    assert "per_page=2" in page.headers["link"] and "zz" not in page.headers["link"]


KEPT_PAGES = {
    "/",
    "/organisations",
    "/activities",
    "/doc/{uri_class}/{key}",
    "/def/{path}",
    "/data/{path}",
    "/dataset",
    "/.well-known/void",
    "/sitemap.xml",
    "/gaps",
    "/gaps.svg",
    "/gaps.png",
    "/gaps/organisations",
    "/network",
    "/strategy-map",
    "/guide",
    "/guide/model.svg",
}


def test_the_routes_kept_per_data_version_say_so_on_the_route_and_in_the_openapi(server):
    """Whether a page is kept once per data version is declared where the route is (api/answers.KEPT), not in a
    pattern of paths elsewhere; the OpenAPI shows it, and a kept page answers with its entity tag."""
    paths = web.get(server.url + "/openapi.json").json()["paths"]
    declared = {path for path, operations in paths.items() if operations.get("get", {}).get(KEPT_FLAG)}
    assert declared == KEPT_PAGES
    for path in ("/organisations", "/def/ecosystem", "/doc/organisation/odi.ttl"):
        assert web.get(server.url + path).headers.get("etag"), path
    assert "etag" not in web.get(server.url + "/doc/organisation/odi/history").headers


async def _page() -> str:
    return "a page"


def test_a_kept_route_is_found_among_those_of_the_path_s_first_segment_which_must_be_fixed_text():
    """Every GET looks for its kept route, if any; trying each kept route's pattern in turn cost 2% of a lookup's
    CPU, so they are looked up by the path's first segment, and a kept route must not begin with a parameter."""
    router = APIRouter()
    kept = ("/", "/gaps", "/gaps.svg", "/gaps/organisations", "/data/{path:path}", "/doc/{uri_class}/{key}")
    for path in kept:
        kept_get(router, path, "A kept page")(_page)
    router.get("/sparql")(_page)
    routes = KeptRoutes(router.routes)
    for path, found in (
        ("/", "/"),
        ("/gaps", "/gaps"),
        ("/gaps.svg", "/gaps.svg"),
        ("/gaps/organisations", "/gaps/organisations"),
        ("/data/organisation/odi", "/data/{path:path}"),
        ("/doc/organisation/odi.ttl", "/doc/{uri_class}/{key}"),
        ("/sparql", None),
        ("/data", None),
        ("/gaps/elsewhere", None),
        ("/doc/organisation", None),
        ("/elsewhere", None),
    ):
        assert getattr(routes.find(path), "path", None) == found, path
    kept_get(router, "/{anything}/x", "A page under every first segment")(_page)
    with pytest.raises(ValueError, match="first segment must be fixed text"):
        KeptRoutes(router.routes)


@one_pass_only
def test_the_answer_cache_keeps_its_newest_answers_up_to_its_bound(tmp_path):
    """The kept answers are files shared by the workers; every ``TRIM_EVERY`` writes a worker removes the oldest
    beyond the bound, by modification time. (An answer another worker removed meanwhile is no error.)"""
    cache = AnswerCache(tmp_path, max_entries=50)
    written = 3 * TRIM_EVERY
    for n in range(written):
        cache.put(f"v1-{n:05d}", b"an answer", {"content-type": "text/plain"})
        os.utime(tmp_path / f"v1-{n:05d}", (1_000_000 + n, 1_000_000 + n))  # written one second apart
    kept = sorted(path.name for path in tmp_path.iterdir())
    assert kept == [f"v1-{n:05d}" for n in range(written - 50, written)]
    assert cache.get(f"v1-{written - 1:05d}").body == b"an answer"
