"""Parser and query abuse against a real server: hostile submissions and exploding queries each get a clear 4xx, or a
503 with Retry-After when the time limit stops a query, or a stream cut at the result cap; never a 500, a stack trace
or a hang, and a refused submission leaves nothing behind."""

from __future__ import annotations

import csv
import io
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
import web
from conftest import (
    BACKEND,
    BASE,
    SAME_OVER_EITHER,
    make_tokens,
    one_pass,
    one_pass_only,
    settled_store_pids,
    start_app,
    start_server,
    stop_server,
    store_pids,
)
from helpers import DEEP_QUERIES, NEW_ORGANISATION, bearer, pending

from graph.rdf.parsing import RdfSyntaxError
from graph.rdf.untrusted import MAX_DEPTH, read_submission

TURTLE = "text/turtle"
NTRIPLES = "application/n-triples"
JSONLD = "application/ld+json"
RDFXML = "application/rdf+xml"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
FORMATS = {
    TURTLE: ox.RdfFormat.TURTLE,
    NTRIPLES: ox.RdfFormat.N_TRIPLES,
    JSONLD: ox.RdfFormat.JSON_LD,
    RDFXML: ox.RdfFormat.RDF_XML,
}
CAP_ROWS = 1000
DEEP = 100_000
FORM = "application/x-www-form-urlencoded"
HEADER_TIMEOUT, BODY_TIMEOUT = 2, 3  # seconds


def hostile_server(folder: Path):
    """The file's server: the session server's short time limit, room for many submissions, a small row cap so that
    an exploding answer reaches it quickly, and no penalty for a query that overran (test_faults.py tests it)."""
    return start_server(
        folder,
        workers=2,
        ECOMAP_QUERY_TIMEOUT="2",
        ECOMAP_QUERIES_PER_MINUTE="0",
        ECOMAP_PENALTY_SECONDS="0",
        ECOMAP_HEADER_TIMEOUT=str(HEADER_TIMEOUT),
        ECOMAP_BODY_TIMEOUT=str(BODY_TIMEOUT),
        ECOMAP_SUBMISSIONS_PER_MINUTE="1000",
        ECOMAP_RESULT_CAP_ROWS=str(CAP_ROWS),
    )


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """One server for the whole file (a second would cost its start-up)."""
    running = hostile_server(tmp_path_factory.mktemp("abuse"))
    yield running, make_tokens(running)
    stop_server(running)


@pytest.fixture
def hostile_alone(request, tmp_path):
    """The file's server, except over Virtuoso, where the test gets one of its own: Virtuoso 7.2.5 compiles a 4 MB
    literal for 13 to 17 s, every other request waiting (ecomap gives up on the update at 12 s), and some 30 s after it
    was sent it crashes ("GPF: Dkpool.c:1968 large free not on 4k boundary"): the file's staging store would go down
    with it, and the tests after with the store."""
    if BACKEND != "virtuoso":
        yield request.getfixturevalue("hostile")
        return
    running = hostile_server(tmp_path)
    yield running, make_tokens(running)
    stop_server(running)


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A loopback port that counts who connects: nothing ecomap reads may make it fetch from anywhere."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    sock.setblocking(False)
    yield sock
    sock.close()


def connections(sock: socket.socket) -> int:
    count = 0
    while True:
        try:
            connection, _ = sock.accept()
        except BlockingIOError:
            return count
        connection.close()
        count += 1


def send(server, body: bytes, media_type: str, **params: str) -> httpx.Response:
    return web.post(
        server.url + "/submissions",
        content=body,
        headers={"Content-Type": media_type},
        params={"accept_terms": "true", **params},
        timeout=60,
    )


def organisation(key: str, media_type: str, label: str = "Data skills bootcamp") -> bytes:
    """The valid organisation of the helpers, under its own key, with its activity's label as given, in a format."""
    turtle = NEW_ORGANISATION.format(number="12345678").replace("cymru-data", key)
    triples = [q.triple for q in ox.parse(turtle.encode(), format=ox.RdfFormat.TURTLE, base_iri=BASE + "/")]
    relabelled = [
        ox.Triple(t.subject, t.predicate, ox.Literal(label, language="en"))
        if isinstance(t.object, ox.Literal) and t.object.value == "Data skills bootcamp"
        else t
        for t in triples
    ]
    return ox.serialize(relabelled, format=FORMATS[media_type])


def refused(server, tokens, body: bytes, media_type: str, status: int) -> dict[str, object]:
    """Send a hostile body; it must be refused with ``status`` and RFC 9457 problem details, and leave nothing pending."""
    before = pending(server, tokens["moderator"])
    response = send(server, body, media_type)
    assert response.status_code == status, response.text[:500]
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["status"] == status
    assert "Traceback" not in response.text
    assert pending(server, tokens["moderator"]) == before
    return response.json()


def xml(content: bytes, prolog: bytes = b"") -> bytes:
    return (
        prolog
        + b"<rdf:RDF xmlns:rdf='"
        + RDF.encode()
        + b"' xmlns:x='http://x.example/'><rdf:Description rdf:about='http://x.example/s'>"
        + content
        + b"</rdf:Description></rdf:RDF>"
    )


LAUGHS = (
    b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a0 "lol">'
    + b"".join(b'<!ENTITY a%d "%s">' % (i, b"&a%d;" % (i - 1) * 10) for i in range(1, 10))
    + b"]>"
)


# Submissions ------------------------------------------------------------------------------------------------------


@one_pass_only  # the body is refused before any store is reached
@pytest.mark.parametrize(
    ("media_type", "body"),
    [
        pytest.param(
            TURTLE,
            b"<http://x.example/s> <http://x.example/p> "
            + b"[ <http://x.example/p> " * DEEP
            + b"1"
            + b" ]" * DEEP
            + b" .",
            id="turtle-blank-nodes",
        ),
        pytest.param(
            TURTLE,
            b"<http://x.example/s> <http://x.example/p> " + b"( " * DEEP + b")" * DEEP + b" .",
            id="turtle-collections",
        ),
        pytest.param(
            JSONLD,
            b'{"@id": "http://x.example/s", "http://x.example/p": '
            + b'{"http://x.example/p": ' * DEEP
            + b"1"
            + b"}" * DEEP
            + b"}",
            id="json-ld-objects",
        ),
        pytest.param(
            JSONLD,
            b'{"@id": "http://x.example/s", "http://x.example/p": {"@list": '
            + b"[" * DEEP
            + b"1"
            + b"]" * DEEP
            + b"}}",
            id="json-ld-arrays",
        ),
        pytest.param(RDFXML, xml(b"<x:p><rdf:Description>" * DEEP + b"</rdf:Description></x:p>" * DEEP), id="rdf-xml"),
        pytest.param(
            NTRIPLES,
            b"<http://x.example/s> <http://x.example/p> "
            + b"<<( <http://x.example/a> <http://x.example/b> " * DEEP
            + b"<http://x.example/c>"
            + b" )>>" * DEEP
            + b" .\n",
            id="n-triples-triple-terms",
        ),
        pytest.param(
            TURTLE,
            b"<< " * DEEP + b"<s> <p> <o>" + b" >> <p> <o>" * DEEP + b" .",
            id="turtle-reified-triples",
        ),
    ],
)
def test_deeply_nested_submissions_are_refused_where_they_pass_the_limit(hostile, media_type, body):
    """Before, JSON-LD 4,000 deep and triple terms 20,000 deep killed the worker (the parser's stack overflowed),
    RDF/XML 20,000 deep took 11 s and 100,000 deep minutes, and Turtle held memory by the megabyte per thousand
    levels."""
    server, tokens = hostile
    error = refused(server, tokens, body, media_type, 400)
    assert f"nested more than {MAX_DEPTH} deep" in error["error"]
    assert error["line"] == 1 and error["column"] < 2000


@one_pass_only  # no server at all
def test_brackets_inside_strings_iris_and_comments_do_not_count_as_nesting():
    # closing brackets that, counted, would hide four levels; opening ones that would add four; and an escaped #
    # that, taken for a comment, would hide the rest of its line, where the nesting is
    hidden = b'@prefix x: <http://x.example/> . # ]]]]\nx:s x:p "]]]]" , <http://x.example/((((> . x:s x:p x:a\\#b . '
    deep = b"x:s x:p " + b"[ x:p " * MAX_DEPTH + b"1" + b" ]" * MAX_DEPTH + b" .\n"
    read = read_submission(hidden + deep, ox.RdfFormat.TURTLE, base_iri=BASE + "/", max_statements=1000)
    assert len(read) == 3 + MAX_DEPTH + 1
    deeper = b"x:s x:p " + b"[ x:p " * (MAX_DEPTH + 1) + b"1" + b" ]" * (MAX_DEPTH + 1) + b" .\n"
    with pytest.raises(RdfSyntaxError, match="nested more than"):
        read_submission(hidden + deeper, ox.RdfFormat.TURTLE, base_iri=BASE + "/", max_statements=1000)


@one_pass_only  # the body is refused before any store is reached
def test_a_billion_laughs_is_refused_before_any_entity_is_expanded(hostile):
    """Ten nested entity declarations, 700 bytes: Oxigraph expanded them as it read them, gigabytes (3 levels fewer
    took 6 GB and 15 s)."""
    server, tokens = hostile
    error = refused(server, tokens, xml(b"<x:p>&a9;</x:p>", LAUGHS), RDFXML, 400)
    assert "DOCTYPE" in error["error"] and error["line"] == 1


@one_pass_only  # the body is refused before any store is reached
def test_an_external_entity_or_dtd_is_never_read(hostile, listener, tmp_path):
    server, tokens = hostile
    secret = tmp_path / "secret.txt"
    secret.write_text("the-secret-behind-the-entity", encoding="utf-8")
    port = listener.getsockname()[1]
    for prolog in (
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file://{secret}">]>'.encode(),
        f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "http://127.0.0.1:{port}/x">]>'.encode(),
        f'<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:{port}/r.dtd">'.encode(),
    ):
        before = pending(server, tokens["moderator"])
        response = send(server, xml(b"<x:p>&x;</x:p>", prolog), RDFXML)
        assert response.status_code == 400 and "DOCTYPE" in response.json()["error"]
        assert "the-secret-behind-the-entity" not in response.text
        assert pending(server, tokens["moderator"]) == before
    assert connections(listener) == 0


@one_pass_only  # the body is refused before any store is reached
@pytest.mark.parametrize(
    "context",
    [
        '["http://127.0.0.1:PORT/context.jsonld"]',
        '{"@import": "http://127.0.0.1:PORT/context.jsonld"}',
        '{"T": {"@id": "http://x.example/T", "@context": "http://127.0.0.1:PORT/scoped.jsonld"}}',
    ],
    ids=["in-an-array", "imported", "scoped-to-a-type"],
)
def test_a_remote_json_ld_context_however_it_is_named_is_never_fetched(hostile, listener, context):
    server, tokens = hostile
    context = context.replace("PORT", str(listener.getsockname()[1]))
    body = '{"@context": ' + context + ', "@id": "http://x.example/s", "@type": "T"}'
    error = refused(server, tokens, body.encode(), JSONLD, 400)
    assert "never fetches a remote JSON-LD @context" in error["error"]
    assert connections(listener) == 0


@one_pass("embedded", SAME_OVER_EITHER)
def test_a_body_past_the_size_limit_is_refused_even_when_it_comes_without_a_length(hostile):
    server, tokens = hostile
    before = pending(server, tokens["moderator"])

    def chunks() -> Iterator[bytes]:
        yield b'<http://x.example/s> <http://x.example/p> "'
        for _ in range(100):
            yield b"x" * 64 * 1024  # 6.4 MB in all, past the 5 MiB limit

    response = web.post(
        server.url + "/submissions", content=chunks(), headers={"Content-Type": TURTLE}, params={"accept_terms": "true"}
    )
    assert response.status_code == 413 and "larger than 5242880 bytes" in response.json()["error"]
    assert pending(server, tokens["moderator"]) == before


def test_a_literal_of_four_megabytes_within_the_size_limit_is_kept_whole(hostile_alone):
    server, tokens = hostile_alone
    before = pending(server, tokens["moderator"])
    label = "x" * 4_000_000
    stored = send(server, organisation("cymru-long-label", TURTLE, label), TURTLE)
    assert stored.status_code == 201, stored.text[:500]
    after = pending(server, tokens["moderator"])
    assert len(after) == len(before) + 1
    review = web.get(
        server.url + f"/submissions/{stored.json()['id']}/review", headers=bearer(tokens["moderator"]), timeout=60
    )
    assert review.status_code == 200 and label in review.text


@one_pass_only  # the body is refused before any store is reached
@pytest.mark.parametrize(
    ("media_type", "first", "second"),
    [
        (TURTLE, b"<http://x.example/s> <http://x.example/p>\n", b'  "caf\xc3\xa9 '),
        (
            NTRIPLES,
            b"<http://x.example/s> <http://x.example/p> <http://x.example/o> .\n",
            b'<http://x.example/s> <http://x.example/p> "caf\xc3\xa9 ',
        ),
        (JSONLD, b'{"@id": "http://x.example/s",\n', b' "http://x.example/p": "caf\xc3\xa9 '),
        (
            RDFXML,
            b"<rdf:RDF xmlns:rdf='" + RDF.encode() + b"' xmlns:x='http://x.example/'>\n",
            b"<rdf:Description rdf:about='http://x.example/s'><x:p>caf\xc3\xa9 ",
        ),
    ],
    ids=["turtle", "n-triples", "json-ld", "rdf-xml"],
)
def test_invalid_utf8_is_refused_with_the_line_and_column_of_the_byte(hostile, media_type, first, second):
    server, tokens = hostile
    error = refused(server, tokens, first + second + b"\xff\xfe rest", media_type, 400)
    assert "byte 0xff is not UTF-8" in error["error"]
    assert (error["line"], error["column"]) == (2, len(second.decode()) + 1)


@one_pass_only  # the body is refused before any store is reached
@pytest.mark.parametrize(
    ("media_type", "body", "says"),
    [
        (TURTLE, b'<id/organisation/a b> <http://x.example/p> "1" .', "Invalid IRI code point ' '"),
        (TURTLE, b'<id/organisation/a\x01b> <http://x.example/p> "1" .', "Invalid IRI code point"),
        (TURTLE, b'<id/organisation/a\\u003Cb\\u003E> <http://x.example/p> "1" .', "Invalid IRI code point '<'"),
        (NTRIPLES, b'<http://x.example/a\tb> <http://x.example/p> "1" .\n', "Invalid IRI code point"),
        (RDFXML, xml(b"<x:p rdf:resource='http://x.example/a b'/>"), "Invalid IRI code point ' '"),
        (RDFXML, xml(b"<x:p rdf:resource='http://x.example/a&#1;b'/>"), "Invalid IRI code point"),
        (
            JSONLD,
            b'{"@id": "http://x.example/s", "http://x.example/p": {"@id": "http://x.example/a b"}}',
            "holds a space",
        ),
        (JSONLD, b'{"@id": "http://x.example/s", "@type": "http://x.example/<T>"}', 'holds the character "<"'),
        (JSONLD, b'{"@id": "http://x.example/s", "http://x.example/a\\u0001b": "1"}', "is not an IRI"),
    ],
    ids=[
        "turtle-space",
        "turtle-control-character",
        "turtle-escaped-angle-brackets",
        "n-triples-tab",
        "rdf-xml-space",
        "rdf-xml-control-character",
        "json-ld-space-in-an-object",
        "json-ld-angle-bracket-in-a-type",
        "json-ld-control-character-in-a-key",
    ],
)
def test_iris_with_spaces_control_characters_or_angle_brackets_are_refused(hostile, media_type, body, says):
    """JSON-LD used to drop such a statement without a word and store the rest."""
    server, tokens = hostile
    assert says in refused(server, tokens, body, media_type, 400)["error"]


@one_pass_only  # the body is refused before any store is reached
@pytest.mark.parametrize(
    "statement",
    [
        "<< <id/organisation/cymru-data-co-op> eco:basedIn <id/place/W92000004> >> dcterms:source <https://x.example/> .",
        "<id/organisation/cymru-data-co-op> dcterms:source <<( <https://x.example/a> <https://x.example/b> 1 )>> .",
        "<id/organisation/cymru-data-co-op> eco:basedIn <id/place/W92000004> {| dcterms:source <https://x.example/> |} .",
    ],
    ids=["reified-triple", "triple-term", "annotation"],
)
def test_rdf_1_2_triple_terms_in_a_valid_record_are_refused_with_a_reason(hostile, statement):
    """They used to answer 500: the conversion for validation knew only RDF 1.1 terms."""
    server, tokens = hostile
    body = NEW_ORGANISATION.format(number="12345678") + statement + "\n"
    assert "RDF 1.2 triple terms" in refused(server, tokens, body.encode(), TURTLE, 400)["error"]


@one_pass_only  # the body is refused before any store is reached
def test_an_iri_json_ld_would_drop_is_refused_not_left_out_of_a_valid_record(hostile):
    server, tokens = hostile
    body = organisation("cymru-json-ld", JSONLD).replace(
        b"https://cymru-json-ld.example/", b"https://cymru-json-ld.example/a b", 1
    )
    assert b"/a b" in body
    assert "is not an IRI: it holds a space" in refused(server, tokens, body, JSONLD, 400)["error"]


@one_pass_only  # the body is refused before any store is reached
@pytest.mark.parametrize(
    ("media_type", "body", "character"),
    [
        (
            TURTLE,
            NEW_ORGANISATION.format(number="12345678").replace("Data skills bootcamp", "Data\x00skills").encode(),
            "U+0000",
        ),
        (
            TURTLE,
            NEW_ORGANISATION.format(number="12345678").replace("Data skills bootcamp", "Data\\u0000skills").encode(),
            "U+0000",
        ),
        (NTRIPLES, organisation("cymru-nul", NTRIPLES, "Data\x00skills"), "U+0000"),
        (JSONLD, organisation("cymru-nul", JSONLD, "Data\x00skills"), "U+0000"),
        (RDFXML, organisation("cymru-nul", RDFXML, "Data\x01skills"), "U+0001"),
    ],
    ids=["turtle-raw", "turtle-escaped", "n-triples", "json-ld", "rdf-xml"],
)
def test_nul_and_other_control_characters_in_a_valid_record_are_refused(hostile, media_type, body, character):
    """They used to be stored, and once approved made every RDF/XML page and SPARQL XML answer showing them
    unreadable XML."""
    server, tokens = hostile
    error = refused(server, tokens, body, media_type, 400)
    assert f"control character {character}" in error["error"]


# SPARQL -----------------------------------------------------------------------------------------------------------

PATH = "<http://www.w3.org/2004/02/skos/core#prefLabel>"
NOT_X = "!<http://x.example/x>"
VALUES_3000 = "VALUES ?x { " + " ".join(str(i) for i in range(3000)) + " }"


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
        # From one organisation: from every node at once, Oxigraph works out the whole closure before its first row,
        # and on a map of thousands of statements that runs into the time limit (a 503, tested below) instead.
        f"SELECT * WHERE {{ <id/organisation/odi> ({PATH}|!{PATH})* ?o . ?a ?b ?c }}",
        f"SELECT * WHERE {{ <id/organisation/odi> ({NOT_X})* ?o . ?a ?b ?c }}",
    ],
    ids=["cartesian-product", "path-or-its-negation", "negated-path"],
)
@pytest.mark.parametrize(("format_name", "row"), [("csv", b"\n"), ("xml", b"<result>")], ids=["csv", "xml"])
def test_an_exploding_select_is_cut_at_the_row_cap_never_completed(hostile, query, format_name, row):
    server, _ = hostile
    received = b""
    with (
        pytest.raises(httpx.RemoteProtocolError),
        web.stream(
            "POST", server.url + "/sparql", data={"query": query, "format": format_name}, timeout=60
        ) as response,
    ):
        assert response.status_code == 200
        assert response.headers["ecomap-result-cap"].startswith(f"{CAP_ROWS} rows")
        for chunk in response.iter_bytes():
            received += chunk
    rows = received.count(row) - (1 if format_name == "csv" else 0)  # a CSV answer starts with its header line
    assert 0 < rows <= CAP_ROWS


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT (COUNT(*) AS ?n) WHERE {{ ?s ({PATH}|!{PATH})* ?o . ?a ?b ?c }}",
        "SELECT * WHERE { ?s0 ?p0 ?o0 "
        + "".join(f"OPTIONAL {{ ?s{i} ?p{i} ?o{i} " for i in range(1, 21))
        + "}" * 20
        + " }",
        "SELECT (COUNT(*) AS ?n) WHERE { " + VALUES_3000 + " ?a ?b ?c . ?d ?e ?f }",
    ],
    ids=["path-joined-with-the-graph", "twenty-nested-optionals", "values-block-joined"],
)
def test_an_exploding_query_ends_at_the_time_limit_with_503_and_retry_after(hostile, query):
    server, _ = hostile
    response = web.post(server.url + "/sparql", data={"query": query, "format": "json"}, timeout=60)
    assert response.status_code == 503 and "time limit" in response.text
    assert int(response.headers["retry-after"]) > 0


@one_pass("embedded", SAME_OVER_EITHER)
def test_a_values_block_past_the_query_length_limit_is_refused_before_it_is_parsed(hostile):
    server, _ = hostile
    rows = " ".join(str(i) for i in range(50_000))
    response = web.post(server.url + "/sparql", data={"query": f"SELECT * WHERE {{ VALUES ?x {{ {rows} }} }}"})
    assert response.status_code == 413 and "limit of 100000 characters" in response.text


@one_pass("embedded", SAME_OVER_EITHER)
@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s0 ?p0 ?o0 "
        + "".join(f"OPTIONAL {{ ?s{i} ?p{i} ?o{i} " for i in range(1, 201))
        + "}" * 200
        + " }",
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 5000 + "1" + ")" * 5000 + ") }",
        "SELECT * WHERE { ?s ?p " + "[ ?p " * 3000 + "1" + " ]" * 3000 + " }",
        "SELECT * WHERE { ?s ?p " + "( " * 3000 + ")" * 3000 + " }",
        "SELECT * WHERE { " + "{ SELECT * WHERE " * 300 + "{ ?s ?p ?o }" + " }" * 300 + " }",
    ],
    ids=["200-optionals", "parentheses", "blank-node-brackets", "collections", "sub-selects"],
)
def test_deeply_nested_query_text_is_refused_as_too_deep_not_crashed(hostile, query):
    server, _ = hostile
    response = web.post(server.url + "/sparql", data={"query": query})
    assert response.status_code == 400 and "nested too deeply" in response.text
    assert "Traceback" not in response.text


@one_pass("embedded", SAME_OVER_EITHER)
@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"method": "GET", "url": "/sparql?query=SELECT%20%3Fx%20WHERE%20%7B%20BIND(%22a%FFb%22%20AS%20%3Fx)%20%7D"},
        {
            "method": "POST",
            "url": "/sparql",
            "content": b'SELECT ?x WHERE { BIND("a\xffb" AS ?x) }',
            "headers": {"Content-Type": "application/sparql-query"},
        },
        {
            "method": "POST",
            "url": "/sparql",
            "content": b"query=SELECT%20%3Fx%20WHERE%20%7B%20BIND(%22a%FFb%22%20AS%20%3Fx)%20%7D",
            "headers": {"Content-Type": "application/x-www-form-urlencoded"},
        },
        {
            "method": "POST",
            "url": "/sparql?default-graph-uri=http%3A%2F%2Fexample.org%2Fa%FFb",
            "content": b"SELECT ?x WHERE { ?x ?p ?o }",
            "headers": {"Content-Type": "application/sparql-query"},
        },
    ],
    ids=["get", "post-query", "post-form", "post-query-graph-in-url"],
)
def test_a_query_that_is_not_utf8_is_refused_not_run_with_replacement_characters(hostile, request_kwargs):
    """It used to run with U+FFFD in place of the byte: another query than the one sent (or, for a graph named in the
    URL, over another dataset)."""
    server, _ = hostile
    kwargs = dict(request_kwargs)
    response = web.request(kwargs.pop("method"), server.url + kwargs.pop("url"), **kwargs)
    assert response.status_code == 400
    assert "not UTF-8" in response.text and "0xff" in response.text


def test_while_an_exploding_query_runs_other_clients_are_answered_first_and_it_ends_with_503(hostile):
    """Order of events, not time: the cheap requests go out once the exploding query has been sent, and must all be
    answered before it ends; and it must end, with 503, rather than hang."""
    server, _ = hostile
    query = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # 27 billion solutions
    finished: list[str] = []
    lock = threading.Lock()
    sent = threading.Event()
    outcome: dict[str, httpx.Response] = {}

    def trace(event: str, info: dict[str, object]) -> None:
        if event == "http11.send_request_body.complete":
            sent.set()

    def explode() -> None:
        with web.Client(timeout=60) as client:
            response = client.post(server.url + "/sparql", data={"query": query}, extensions={"trace": trace})
        with lock:
            finished.append("exploding query")
        outcome["exploding"] = response

    thread = threading.Thread(target=explode)
    thread.start()
    assert sent.wait(timeout=30)
    cheap = [
        ("lookup", "GET", "/doc/organisation/odi", {"headers": {"Accept": "text/turtle"}}),
        ("ask", "POST", "/sparql", {"data": {"query": "ASK { <id/organisation/odi> ?p ?o }"}}),
        ("second lookup", "GET", "/doc/organisation/odi", {"headers": {"Accept": "application/n-triples"}}),
    ]
    for name, method, path, kwargs in cheap:
        outcome[name] = web.request(method, server.url + path, timeout=30, **kwargs)
        with lock:
            finished.append(name)
    thread.join(timeout=60)
    assert finished == ["lookup", "ask", "second lookup", "exploding query"]
    assert outcome["lookup"].status_code == 200 and "odi" in outcome["lookup"].text
    assert outcome["ask"].status_code == 200 and "true" in outcome["ask"].text
    assert outcome["second lookup"].status_code == 200
    exploded = outcome["exploding"]
    assert exploded.status_code == 503 and "time limit" in exploded.text
    assert int(exploded.headers["retry-after"]) > 0


# Queries the store would recurse over ----------------------------------------------------------------------------


@pytest.mark.parametrize("name", DEEP_QUERIES)
def test_a_query_as_deep_as_crashed_the_store_is_refused_and_the_store_stays_up(hostile, name):
    """Before, 3,000 MINUS or a sum of 12,000 terms (a few kB each) overflowed the stack of the public store's server,
    which died with every request in flight; rdflib had read them as flat lists, so its depth limit never saw them."""
    server, _ = hostile
    make, crashed_at = DEEP_QUERIES[name]
    serving = settled_store_pids(server)
    response = web.post(server.url + "/sparql", data={"query": make(crashed_at)}, timeout=60)
    assert response.status_code == 400 and "nested too deeply" in response.text, response.text[:300]
    assert "Traceback" not in response.text
    assert web.post(server.url + "/sparql", data={"query": "ASK { ?s ?p ?o }"}).text.strip().endswith("true}")
    assert store_pids(server) == serving


SKIPPING_PAST_BILLIONS = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f . ?g a ?h } OFFSET 20000000000 LIMIT 1"


@pytest.mark.parametrize("format_name", ["csv", "json"])
def test_an_answer_the_store_ends_as_if_whole_after_the_time_limit_is_a_503_and_never_kept(hostile, format_name):
    """Stopped at its time limit while it skips, Oxigraph ends the answer as if it were whole: no rows. Before, ecomap
    answered 200 with the CSV header alone, and kept it for the data version (the next request got it in 11 ms)."""
    server, _ = hostile
    query = f"{SKIPPING_PAST_BILLIONS} # {format_name}"
    response = web.post(server.url + "/sparql", data={"query": query, "format": format_name}, timeout=120)
    assert response.status_code == 503 and "time limit" in response.text, response.text[:200]
    assert "ecomap-cache" not in response.headers
    again = web.post(server.url + "/sparql", data={"query": query, "format": format_name}, timeout=120)
    # Again the time limit; or, where the store had to be restarted to stop it, refused for a day: never the empty
    # answer, and never one kept.
    assert (again.status_code, "time limit") == (503, "time limit") or (
        again.status_code == 400 and "refused for a day" in again.text
    ), again.text[:200]
    assert "ecomap-cache" not in again.headers


def posting(url: str, path: str, media_type: str, headers: str) -> socket.socket:
    """A connection to the server that has sent a POST's request line and headers (``headers``: more of them, one a
    line), its body still to come."""
    host, port = url.removeprefix("http://").split(":")
    connection = socket.create_connection((host, int(port)), timeout=30)
    connection.sendall(
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {media_type}\r\n{headers}\r\n\r\n".encode()
    )
    return connection


def sent_before_an_answer(
    url: str, path: str, media_type: str, token: str = "", most: int = 300 * 1024 * 1024
) -> tuple[int, bytes]:
    """Stream a body of ``most`` bytes, chunked (no length said), a megabyte at a time, until the server answers:
    how much was sent by then, and the answer's first bytes."""
    chunk = b"x" * (1024 * 1024)
    head = f"Authorization: Bearer {token}\r\nTransfer-Encoding: chunked" if token else "Transfer-Encoding: chunked"
    with posting(url, path, media_type, head) as connection:
        return repeated_until_answered(connection, b"%x\r\n%s\r\n" % (len(chunk), chunk), most)


def repeated_until_answered(connection: socket.socket, piece: bytes, most: int) -> tuple[int, bytes]:
    """Send ``piece`` again and again, up to ``most`` bytes, until the server answers: how much was sent by then, and
    the answer's first bytes."""
    sent = 0
    while sent < most:
        try:
            connection.sendall(piece)
        except OSError:  # the server answered and closed the connection
            break
        sent += len(piece)
        connection.setblocking(False)
        try:
            if answer := connection.recv(4096):
                return sent, answer
        except BlockingIOError:
            pass
        finally:
            connection.setblocking(True)
    return sent, connection.recv(4096)


@one_pass("embedded", SAME_OVER_EITHER)
@pytest.mark.parametrize(
    ("path", "media_type", "limit"),
    [
        ("/submit", "application/x-www-form-urlencoded", 5 * 1024 * 1024),
        ("/records/person/sue-daley/request", "application/x-www-form-urlencoded", 64 * 1024),
        ("/submissions?accept_terms=true", "text/turtle", 5 * 1024 * 1024),
        ("/records/organisation/odi/withdraw", "application/json", 64 * 1024),
    ],
    ids=["form", "person-request", "submission", "decision"],
)
def test_a_body_without_end_is_refused_at_its_limit_without_reading_past_it(hostile, path, media_type, limit):
    """Before, the form and a person's request read the whole body and only then cut it: a 300 MB form took a worker
    from 211 to 683 MB."""
    server, tokens = hostile
    sent, head = sent_before_an_answer(server.url, path, media_type, tokens["moderator"])
    assert head.startswith(b"HTTP/1.1 413"), head
    assert sent <= limit + 32 * 1024 * 1024, f"{sent} bytes were sent before the answer"


@one_pass("embedded", SAME_OVER_EITHER)
def test_a_large_submission_counts_as_several_against_the_allowance(tmp_path):
    """Validating 20,000 statements takes about ten seconds, one validation at a time in each worker; counted as one
    submission, ten a minute kept a worker validating and slowed everyone's lookups sixfold. Now every 2,000 statements
    count as one: three of 8,000 from one client exceed its ten a minute (before, all three were read and checked).
    They are sent at once: one after another, the allowance that comes back while each is validated (one every six
    seconds) let the third through when validating took four seconds more than usual."""
    server = start_app(tmp_path, ECOMAP_SUBMISSIONS_PER_MINUTE="10")
    try:
        body = "".join(f'<http://x.example/s{i}> <http://x.example/p> "{i}" .\n' for i in range(8000)).encode()
        with ThreadPoolExecutor(3) as pool:
            answers = list(pool.map(lambda _: send(server, body, NTRIPLES, dry_run="true"), range(3)))
        assert sorted(answer.status_code for answer in answers) == [422, 422, 429]
        refused = next(answer for answer in answers if answer.status_code == 429)
        assert int(refused.headers["retry-after"]) >= 1 and "Too many changes" in refused.json()["error"]
    finally:
        stop_server(server)


# Slow and vanishing clients ---------------------------------------------------------------------------------------


def closed_within(connection: socket.socket, seconds: float) -> bool:
    """Whether the server closes the connection within ``seconds`` (reading whatever it sends first)."""
    connection.settimeout(seconds)
    try:
        while connection.recv(4096):
            pass
    except TimeoutError:
        return False
    except OSError:  # reset
        return True
    return True


def head_sent_before_an_answer(url: str, start: bytes, piece: bytes, most: int = 64 * 1024 * 1024) -> tuple[int, bytes]:
    """Send ``start``, then ``piece`` again and again (a head without end), until the server answers: how much was sent
    by then, and the answer's first bytes."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        connection.sendall(start)
        sent, answer = repeated_until_answered(connection, piece, most)
        return len(start) + sent, answer


@one_pass("embedded", SAME_OVER_EITHER)
@pytest.mark.parametrize(
    ("start", "piece"),
    [
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Long: ", b"a" * 4096),
        (b"GET /healthz HTTP/1.1\r\nHost: x\r\n", b"".join(b"X-%d: 1\r\n" % i for i in range(400))),
        (b"GET /sparql?query=", b"%20" * 1365),
    ],
    ids=["one-long-header", "many-headers", "long-url"],
)
def test_a_request_head_without_end_is_refused_at_16_kib_without_reading_past_it(hostile, start, piece):
    """uvicorn's httptools protocol sets no limit on a request's head: a 130 MB header line was read whole into the
    worker's memory. h11, before, stopped at 16 KiB; so does ecomap's protocol now, with 431."""
    server, _ = hostile
    sent, answer = head_sent_before_an_answer(server.url, start, piece)
    assert answer.startswith(b"HTTP/1.1 431"), answer
    assert sent < 4 * 1024 * 1024  # refused near the limit, not after the whole stream
    assert web.get(server.url + "/healthz").status_code == 200


@one_pass("embedded", SAME_OVER_EITHER)
def test_a_request_head_under_16_kib_is_answered(hostile):
    """The cap counts a head that has not ended, not a long one that has: 15 KiB of headers sent a kilobyte at a time
    still reach the app."""
    server, _ = hostile
    host, port = server.url.removeprefix("http://").split(":")
    head = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%03d: %s\r\n" % (i, b"b" * 1000) for i in range(15))
    with socket.create_connection((host, int(port)), timeout=30) as connection:
        for at in range(0, len(head), 1024):
            connection.sendall(head[at : at + 1024])
            time.sleep(0.01)
        connection.sendall(b"Connection: close\r\n\r\n")
        answer = b""
        while chunk := connection.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


@one_pass("embedded", SAME_OVER_EITHER)
def test_connections_that_send_half_a_request_are_closed_at_the_header_deadline(hostile):
    """Before, 5,000 sockets each sending half a request stayed open past 25 s."""
    server, _ = hostile
    host, port = server.url.removeprefix("http://").split(":")
    connections = [socket.create_connection((host, int(port))) for _ in range(200)]
    try:
        for connection in connections:
            connection.sendall(b"GET /organisations HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        assert closed_within(connections[-1], HEADER_TIMEOUT + 5)
        assert all(closed_within(connection, 0.5) for connection in connections)
        assert web.get(server.url + "/healthz").status_code == 200
    finally:
        for connection in connections:
            connection.close()


@one_pass("embedded", SAME_OVER_EITHER)
@pytest.mark.parametrize(
    ("path", "media_type"),
    [("/submit", FORM), ("/submissions?accept_terms=true", TURTLE), ("/sparql", "application/sparql-query")],
    ids=["form", "submission", "sparql"],
)
def test_a_body_sent_a_byte_at_a_time_is_cut_off_at_the_body_deadline(hostile, path, media_type):
    """Before, slow bodies to /submit, /submissions and /sparql held their connections past 45 s."""
    server, _ = hostile
    log = server.folder / "server.log"
    before = log.read_text()
    with posting(server.url, path, media_type, "Content-Length: 1000") as connection:
        started = time.monotonic()
        closed = False
        while time.monotonic() - started < BODY_TIMEOUT + 10 and not closed:
            try:
                connection.sendall(b"x")
            except OSError:
                closed = True
            closed = closed or closed_within(connection, 1)
        assert closed and time.monotonic() - started < BODY_TIMEOUT + 5
    assert eventually_logged(log, before, '"status": 499')
    assert "Exception in ASGI application" not in log.read_text()[len(before) :]


@one_pass("embedded", SAME_OVER_EITHER)
def test_a_client_that_goes_away_mid_body_leaves_a_line_in_the_log_not_a_stack_trace(hostile):
    """Before, a dropped connection left "Exception in ASGI application" and a traceback in the log."""
    server, _ = hostile
    log = server.folder / "server.log"
    before = log.read_text()
    with posting(server.url, "/submit", FORM, "Content-Length: 100000") as connection:
        connection.sendall(b"organisation.name=Gone")
    assert eventually_logged(log, before, '"status": 499')
    assert "Traceback" not in log.read_text()[len(before) :]


def eventually_logged(log: Path, before: str, words: str) -> bool:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        if words in log.read_text()[len(before) :]:
            return True
        time.sleep(0.1)
    return False


@one_pass("embedded", SAME_OVER_EITHER)
def test_a_name_that_is_a_formula_reaches_the_csv_download_as_text(hostile):
    """OWASP's CSV injection: before, ``=HYPERLINK(…)`` as an organisation's name reached /download/organisations.csv
    as it was, and a spreadsheet program opening the download would run it."""
    server, tokens = hostile
    formula = '=HYPERLINK("http://evil.example/","Click for the data")'
    body = organisation("formula-named", TURTLE).decode().replace("Cymru Data Co-op", formula.replace('"', '\\"'))
    sent = send(server, body.encode(), TURTLE)
    assert sent.status_code == 201, sent.text
    approve = web.post(f"{server.url}/submissions/{sent.json()['id']}/approve", headers=bearer(tokens["moderator"]))
    assert approve.status_code == 200, approve.text
    download = web.get(server.url + "/download/organisations.csv", timeout=60)
    rows = list(csv.reader(io.StringIO(download.text)))
    names = [value for row in rows for value in row if "HYPERLINK" in value]
    assert names and all(name == "'" + formula for name in names), names
    assert not any(value.startswith(("=", "+", "@")) for row in rows for value in row)
    dataset = web.get(server.url + "/dataset", headers={"Accept": "text/turtle"}).text
    assert "never run as a formula" in dataset
