"""What ecomap does about stores that depart from the standards (graph.store.dialect), on the answers such a store
really gives (copied from Virtuoso 7.2.5); ``make test-virtuoso`` runs the whole suite against one."""

from __future__ import annotations

import anyio
import httpx
import pyoxigraph as ox
import pytest
from conftest import BASE, one_pass_only
from helpers import in_memory, rows

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


def test_credentials_are_sent_only_when_the_store_asks_and_in_its_scheme():
    digest = StoreAuth("dba", "secret").auth_flow(httpx.Request("POST", "http://store.example/sparql-auth"))
    first = next(digest)
    assert "authorization" not in first.headers
    challenge = 'Digest realm="SPARQL", nonce="abc", qop="auth", algorithm="MD5"'
    answered = digest.send(httpx.Response(401, headers={"WWW-Authenticate": challenge}, request=first))
    assert answered.headers["authorization"].startswith("Digest ")
    basic = StoreAuth("u", "p").auth_flow(httpx.Request("GET", "http://store.example/"))
    first = next(basic)
    answered = basic.send(httpx.Response(401, headers={"WWW-Authenticate": 'Basic realm="x"'}, request=first))
    assert answered.headers["authorization"].startswith("Basic ")


def test_digest_is_preferred_and_nothing_is_sent_to_a_store_that_asks_for_another_scheme():
    both = StoreAuth("u", "p").auth_flow(httpx.Request("GET", "http://store.example/"))
    first = next(both)
    offered = httpx.Headers(
        [("WWW-Authenticate", 'Basic realm="x"'), ("WWW-Authenticate", 'Digest realm="x", nonce="n"')]
    )
    assert both.send(httpx.Response(401, headers=offered, request=first)).headers["authorization"].startswith("Digest ")
    bearer = StoreAuth("u", "p").auth_flow(httpx.Request("GET", "http://store.example/"))
    first = next(bearer)
    with pytest.raises(StopIteration):
        bearer.send(httpx.Response(401, headers={"WWW-Authenticate": "Bearer"}, request=first))
