"""What ecomap does about stores that depart from the standards (graph.store.dialect), on the answers such a store
really gives (copied from Virtuoso 7.2.5); ``make test-virtuoso`` runs the whole suite against one."""

from __future__ import annotations

import aiohttp
import anyio
import pyoxigraph as ox
import pytest
from aiohttp import web
from conftest import BASE, one_pass_only
from helpers import in_memory, rows
from multidict import MultiDict

from graph.store.dialect import STANDARD, VIRTUOSO, StoreAuth
from graph.store.protocol import answers_with_triples
from graph.store.transaction import Transaction

pytestmark = one_pass_only

# Virtuoso's answer to ASK { ?s ?p ?o } in SPARQL XML: a one-row table, not a boolean.
VIRTUOSO_ASK = b"""<sparql xmlns="http://www.w3.org/2005/sparql-results#">
 <head><variable name="__ASK_RETVAL"/></head>
 <results distinct="false" ordered="true"><result>
   <binding name="__ASK_RETVAL"><literal datatype="http://www.w3.org/2001/XMLSchema#integer">1</literal></binding>
 </result></results>
</sparql>"""
# A blank node in Virtuoso's SPARQL XML results.
VIRTUOSO_BNODE = b"""<sparql xmlns="http://www.w3.org/2005/sparql-results#">
 <head><variable name="s"/><variable name="o"/></head>
 <results distinct="false" ordered="true"><result>
   <binding name="s"><bnode>nodeID://b10000</bnode></binding>
   <binding name="o"><literal xml:lang="en">a&quot;b</literal></binding>
 </result></results>
</sparql>"""


@pytest.mark.parametrize(
    ("media_type", "expected"),
    [
        ("application/sparql-results+json", b'{"head":{},"boolean":true}'),
        ("application/sparql-results+xml", b"<boolean>true</boolean>"),
        ("text/csv", b"true"),
    ],
)
def test_an_ask_answered_as_a_table_is_given_to_clients_as_a_boolean(media_type, expected):
    assert expected in VIRTUOSO.answer(VIRTUOSO_ASK, media_type)


def test_blank_nodes_and_literals_come_through_in_the_format_asked_for():
    csv = VIRTUOSO.answer(VIRTUOSO_BNODE, "text/csv").decode()
    assert csv.splitlines() == ["s,o", '_:b10000,"a""b"']
    tsv = VIRTUOSO.answer(VIRTUOSO_BNODE, "text/tab-separated-values").decode()
    assert tsv.splitlines()[1] == '_:b10000\t"a\\"b"@en'


def test_a_graph_answer_is_rewritten_from_n_triples():
    triples = b'_:b1 <http://example.org/p> "x"@en .\n'
    turtle = VIRTUOSO.answer(triples, "text/turtle")
    [quad] = list(ox.parse(turtle, format=ox.RdfFormat.TURTLE))
    assert quad.object == ox.Literal("x", language="en")
    assert VIRTUOSO.store_accept("text/turtle") == "application/n-triples"
    assert VIRTUOSO.store_accept("text/csv") == "application/sparql-results+xml"


def test_a_standard_store_is_asked_for_the_clients_format_and_passed_through():
    assert STANDARD.store_accept("text/csv") == "text/csv"
    assert STANDARD.answer(b"s\r\n", "text/csv") == b"s\r\n"
    assert STANDARD.ours() == ""


def test_the_stores_own_graphs_are_left_out_and_its_timeouts_recognised():
    assert "<http://www.openlinksw.com/schemas/virtrdf#>" in VIRTUOSO.ours()
    assert VIRTUOSO.timed_out("Virtuoso S1T00 Error SR171: Transaction timed out")
    assert not VIRTUOSO.timed_out("Virtuoso 37000 Error SP030: SPARQL compiler")
    assert not STANDARD.timed_out("Transaction timed out")


@pytest.mark.parametrize(
    ("query", "graph"),
    [
        ("PREFIX ex: <http://example.org/select> CONSTRUCT WHERE { ?s ?p ?o }", True),
        ("# CONSTRUCT in a comment\nSELECT * WHERE { ?s ?p 'DESCRIBE' }", False),
        ("BASE <http://x/> describe <a>", True),
        ("ASK { ?s ?p ?o }", False),
    ],
)
def test_the_query_form_is_found_past_the_prologue(query, graph):
    assert answers_with_triples(query) is graph


def test_blank_nodes_are_inserted_by_template_one_block_per_graph():
    """Virtuoso refuses blank nodes in INSERT DATA and a template naming one graph twice; the update ecomap
    writes instead must still do exactly what INSERT DATA would, in any store."""
    g, h = ox.NamedNode(f"{BASE}/data/g"), ox.NamedNode(f"{BASE}/data/h")
    p, b = ox.NamedNode("http://example.org/p"), ox.BlankNode("b")
    transaction = Transaction()
    transaction.add(
        [
            ox.Quad(b, p, ox.Literal("1"), g),
            ox.Quad(ox.NamedNode("http://example.org/s"), p, b, g),
            ox.Quad(b, p, ox.Literal("2"), g),
            ox.Quad(ox.NamedNode("http://example.org/s"), p, ox.Literal("plain"), h),
        ]
    )
    update = transaction.as_update()
    assert "INSERT DATA" in update and update.count(f"GRAPH {g}") == 1 and update.endswith("} WHERE {}")
    store = in_memory()
    anyio.run(store.commit, transaction)
    found = rows(store, "SELECT ?b (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?b ?p ?o } FILTER(isBlank(?b)) } GROUP BY ?b")
    assert len(found) == 1 and found[0]["n"].value == "2"  # one blank node, as in the data
    assert anyio.run(store.count) == 4


async def _asked(challenges: list[str], requests: int = 2) -> list[str | None]:
    """The Authorization header of each request that a client with StoreAuth sends, ``requests`` requests in turn, to
    a real server that answers ``401`` with ``challenges`` until it is sent credentials."""
    seen: list[str | None] = []

    async def store(request: web.Request) -> web.Response:
        seen.append(request.headers.get("Authorization"))
        if request.headers.get("Authorization"):
            return web.Response(text="yes")
        return web.Response(status=401, headers=MultiDict(("WWW-Authenticate", c) for c in challenges))

    app = web.Application()
    app.router.add_route("*", "/sparql-auth", store)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    try:
        async with aiohttp.ClientSession(middlewares=(StoreAuth("dba", "secret"),)) as session:
            for _ in range(requests):
                async with session.post(f"http://127.0.0.1:{port}/sparql-auth", data=b"query=ASK{}") as answer:
                    await answer.read()
    finally:
        await runner.cleanup()
    return seen


def test_credentials_are_sent_only_when_the_store_asks_and_in_its_scheme_which_is_then_remembered():
    digest = anyio.run(_asked, ['Digest realm="SPARQL", nonce="abc", qop="auth", algorithm="MD5"'])
    assert digest[0] is None and digest[-1] is not None and digest[-1].startswith('Digest username="dba"')
    assert "response=" in digest[-1]
    basic = anyio.run(_asked, ['Basic realm="x"'])
    assert basic == [None, "Basic ZGJhOnNlY3JldA==", "Basic ZGJhOnNlY3JldA=="], "asked once, then sent at once"


def test_digest_offered_first_is_used_and_nothing_is_sent_to_a_store_that_asks_for_another_scheme():
    digest_first = anyio.run(_asked, ['Digest realm="x", nonce="n"', 'Basic realm="x"'], 1)
    assert digest_first[0] is None and digest_first[-1] is not None and digest_first[-1].startswith("Digest ")
    basic_first = anyio.run(_asked, ['Basic realm="x"', 'Digest realm="x", nonce="n"'], 1)
    assert basic_first == [None, "Basic ZGJhOnNlY3JldA=="]
    assert anyio.run(_asked, ["Bearer"]) == [None, None]
