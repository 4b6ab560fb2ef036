"""Fair use and result caps on the public endpoint, against a real server with small limits."""

from __future__ import annotations

import json
import random
import time

import httpx
import pytest
import web
from conftest import SAME_OVER_EITHER, make_tokens, one_pass, one_pass_only
from helpers import bearer, client_at, logged

from api.limits import Cap, JsonRows, ResultCapError

pytestmark = one_pass("embedded", SAME_OVER_EITHER)

ALL_ROWS = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"


@one_pass_only
@pytest.mark.parametrize(
    ("media_type", "body", "rows"),
    [
        (
            "application/sparql-results+json",
            b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"1"}},{"x":{"type":"literal","value":"2"}}]}}',
            2,
        ),
        ("application/sparql-results+json", b'{"head":{"vars":["x"]},"results":{"bindings":[{},{}]}}', 2),
        (
            "application/sparql-results+json",
            b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"}},{ \\" {"}},{}]}}',
            2,
        ),
        ("application/sparql-results+xml", b"<results><result>1</result><result>2</result></results>", 2),
        ("text/csv", b"x\r\n1\r\n2\r\n", 2),
        ("text/tab-separated-values", b"?x\n1\n2\n", 2),
    ],
)
def test_rows_are_counted_in_every_result_format_even_split_across_chunks(media_type, body, rows):
    exact = Cap(media_type, rows=rows, size=10**9)
    for i in range(0, len(body), 3):
        exact.check(body[i : i + 3])
    one_less = Cap(media_type, rows=rows - 1, size=10**9)
    with pytest.raises(ResultCapError, match="cap"):
        for i in range(0, len(body), 3):
            one_less.check(body[i : i + 3])


@one_pass_only
def test_json_rows_are_counted_as_a_json_parser_counts_them_however_the_answer_is_split():
    """Differential: 2,000 generated SPARQL JSON answers, strings full of brackets, quotes and backslashes, laid out
    compactly or indented, cut into chunks of random sizes (single bytes among them): the streaming count always
    equals the length of the ``bindings`` array that ``json.loads`` reads."""
    rng = random.Random(20)
    tricky = ['"', "\\", "{", "}", "[", "]", "},{", '\\"', "é", "\n", " ", "a", "\u00e9"]
    for _ in range(2000):
        names = [f"v{i}" for i in range(rng.randint(1, 3))]

        def text() -> str:
            return "".join(rng.choice(tricky) for _ in range(rng.randint(0, 12)))

        bindings = [
            {name: {"type": "literal", "value": text()} for name in names if rng.random() < 0.8}
            for _ in range(rng.randint(0, 30))
        ]
        answer = {"head": {"vars": names, "link": [text()]}, "results": {"bindings": bindings}}
        body = json.dumps(answer, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 1])).encode()
        counter, start = JsonRows(), 0
        while start < len(body):
            size = rng.choice([1, 2, 3, rng.randint(1, 64), len(body)])
            counter.feed(body[start : start + size])
            start += size
        assert counter.rows == len(json.loads(body)["results"]["bindings"]), body


def test_a_cap_reached_in_the_first_bytes_answers_413_with_a_message(limited_server):
    response = web.get(limited_server.url + "/sparql", params={"query": ALL_ROWS, "format": "csv"})
    assert response.status_code == 413
    assert "cap of 5 rows" in response.text


def test_an_answer_within_the_cap_is_whole(limited_server):
    response = web.get(limited_server.url + "/sparql", params={"query": ALL_ROWS + " LIMIT 5", "format": "json"})
    assert response.status_code == 200 and len(response.json()["results"]["bindings"]) == 5
    assert response.headers["ecomap-result-cap"].startswith("5 rows")


def test_a_graph_answer_past_its_byte_cap_is_cut_off_not_completed(limited_server):
    with (
        pytest.raises(httpx.RemoteProtocolError),
        web.stream(
            "GET",
            limited_server.url + "/sparql",
            params={"query": "CONSTRUCT WHERE { ?s ?p ?o }"},
            headers={"Accept": "application/n-triples", "X-Request-Id": "cut-by-the-byte-cap"},
        ) as response,
    ):
        assert response.status_code == 200
        for _ in response.iter_bytes():
            pass
    # Operators see the cut and its reason in the request's own log line, not as a stack trace.
    line = logged(limited_server, "cut-by-the-byte-cap")["cut-by-the-byte-cap"]
    assert line["status"] == 200 and "cap of 100000 bytes" in line["cut"]
    assert "Traceback" not in (limited_server.folder / "server.log").read_text()


def test_rows_with_no_bound_variables_still_count(limited_server):
    response = web.get(
        limited_server.url + "/sparql", params={"query": "SELECT ?x WHERE { ?a ?b ?c } LIMIT 50", "format": "json"}
    )
    assert response.status_code == 413


def test_a_client_past_its_fair_use_gets_429_with_retry_after(limited_server):
    """The service allows 4 queries a minute, whichever of its two workers a query reaches: 30 in a row, each on a
    connection of its own (the kernel spreads them over the workers), get 4 answers. Before, each worker allowed 4.
    They come from an address of their own: what the other tests asked of the limited server counts against theirs."""
    url = limited_server.url + "/sparql"
    responses = []
    for _ in range(30):
        with client_at("127.0.0.6") as client:
            responses.append(client.get(url, params={"query": "ASK {}"}))
    statuses = [r.status_code for r in responses]
    assert set(statuses) == {200, 429} and statuses.count(200) == 4, statuses
    refused = next(r for r in responses if r.status_code == 429)
    assert int(refused.headers["retry-after"]) >= 1
    assert "Try again in" in refused.text
    assert web.get(limited_server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"}).status_code == 200


WRITES = [
    ("/submit", {"organisation.name": "Counted Co", "accept_terms": "yes"}),
    ("/records/person/sue-daley/request", {"kind": "correct", "details": "Counted.", "contact": "a@b.example"}),
]


@pytest.mark.parametrize(("path", "form"), WRITES, ids=["form", "person-request"])
def test_every_route_that_writes_counts_against_the_senders_allowance(limited_server, path, form):
    """The service allows 2 a minute from one address. Before, 40 form posts in 6 s made 42 pending submissions;
    each route is sent from an address of its own (its allowance is its own)."""
    address = "127.0.0.4" if path == "/submit" else "127.0.0.5"
    with client_at(address) as client:
        statuses = [client.post(limited_server.url + path, data=form).status_code for _ in range(12)]
        refused = client.post(limited_server.url + path, data=form)
    assert 429 in statuses and statuses.count(429) >= 12 - 2, statuses
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    # A form's route answers its refusal as text, or as a page to a browser (api/errors.py).
    assert refused.headers["content-type"].startswith("text/plain")
    assert "Too many changes sent from this client" in refused.text


def test_a_moderators_decisions_count_against_their_allowance(limited_server):
    """A moderator may decide ten times the anonymous allowance a minute (20 here, whichever worker a decision
    reaches), no more: a burst of 20, and the third of a decision a second that the allowance regains meanwhile."""
    moderator = bearer(make_tokens(limited_server)["moderator"])
    started = time.monotonic()
    statuses = [
        web.post(limited_server.url + "/submissions/0123456789abcdef/approve", headers=moderator).status_code
        for _ in range(60)
    ]
    regained = int((time.monotonic() - started) * 20 / 60)
    assert set(statuses) == {404, 429} and statuses.count(404) <= 20 + regained, statuses
