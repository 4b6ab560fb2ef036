"""A query text that passed the checks is not parsed again; any other text is, however alike, so that the store
only ever sees text rdflib has read."""

from __future__ import annotations

import contextlib
import random

import pyoxigraph as ox
import pytest
from conftest import one_pass_only
from helpers import DEEP_QUERIES
from pyparsing import ParseBaseException
from rdflib.plugins.sparql.parser import parseQuery, parseUpdate

from api import query_depth
from api.inspection import Form, QueryRejectedError, Rules, from_tokens, inspect, prepared, walk
from api.query_depth import QueryTooDeepError

pytestmark = one_pass_only

PROLOGUE = "PREFIX ex: <http://example.org/>\n"


def check(query: str, hosts: tuple[str, ...] = ()):
    return inspect(query, Rules(PROLOGUE, hosts, 100_000))


def test_a_query_text_that_passed_is_not_parsed_again(monkeypatch):
    text = "SELECT ?p WHERE { <http://example.org/one> ?p 'first' }"
    assert check(text).form is Form.SOLUTIONS

    def refuse(_text):
        raise AssertionError("parsed again")

    monkeypatch.setattr("api.inspection.parseQuery", refuse)
    assert check(text).form is Form.SOLUTIONS
    with pytest.raises(QueryRejectedError, match=r"\(AssertionError\)"):  # another organisation: parsed again
        check("SELECT ?p WHERE { <http://example.org/two> ?p 'first' }")


def test_a_query_its_tokens_decide_is_not_parsed_where_the_store_reads_only_queries(monkeypatch):
    def refuse(_text):
        raise AssertionError("parsed")

    monkeypatch.setattr("api.inspection.parseQuery", refuse)
    for query, form in (
        ("SELECT ?p ?o WHERE { <http://example.org/three> ?p ?o }", Form.SOLUTIONS),
        ("PREFIX ex: <http://example.org/>\n# a comment\nCONSTRUCT WHERE { ?s ex:fromOrganisation ?from }", Form.GRAPH),
    ):
        decided = inspect(query, Rules(PROLOGUE, (), 100_000, quick=True))
        assert (decided.form, decided.parsed) == (form, False)
    for undecided in ("SELECT * FROM <http://g/> { }", "SELECT * { ?s <http://x/Service> ?o }", "INSERT DATA { }"):
        with pytest.raises(QueryRejectedError, match=r"\(AssertionError\)"):
            inspect(undecided, Rules(PROLOGUE, (), 100_000, quick=True))


@pytest.mark.parametrize(
    "query",
    [
        # Alike but for a comment to a lone carriage return, which ends a SPARQL comment: an update.
        '#\rINSERT DATA { <http://x/s> <http://x/p> """\nSELECT * WHERE { ?s ?p ?o } #""" }',
        "SELECT * WHERE { ?s ?p ?o } }",
        'SELECT * WHERE { ?s ?p "\\q" }',
        "SELECT * WHERE { ?s ?p ?o FILTER(" + "(" * 3000 + "1" + ")" * 3000 + ") }",
        # Escapes of no character: past U+10FFFF, and halves of UTF-16 pairs (the fuzzer's 500: no text can hold one)
        'SELECT * WHERE { ?s ?p "\\U00110000" }',
        'SELECT * WHERE { ?s ?p "\\udb35\\udc0a" }',
        'SELECT * WHERE { ?s ?p "\\ud83d" }',
    ],
)
def test_a_bad_query_is_refused_however_like_one_that_passed(query):
    assert check("SELECT * WHERE { ?s ?p ?o }") is not None
    with pytest.raises(QueryRejectedError) as refused:
        check(query)
    assert refused.value.status == 400


def test_service_calls_are_checked_against_the_allow_list_the_text_passed_with():
    text = "SELECT * { SERVICE <http://ok.example/sparql> { ?s ?p ?o } }"
    assert check(text, ("ok.example",)) is not None
    with pytest.raises(QueryRejectedError, match=r"SERVICE calls to http://ok\.example/sparql are not allowed"):
        check(text, ("other.example",))


# The differential test of the quick check: a corpus of queries, valid and not, built from the pieces that confuse a
# reader of SPARQL (keywords inside IRIs, strings, comments and names; escapes; carriage returns; nesting), each
# checked from its tokens and by the full parse. Where the tokens decide, the parse must agree on the form and find
# no SERVICE, no dataset and no update; where the parse refuses the syntax, the store (Oxigraph's own parser) must
# refuse it too, or read it as a query without SERVICE.
ORDINARY_PROLOGUES = [
    "",
    "PREFIX ex: <http://example.org/>\n",
    "prefix : <http://example.org/> BASE <http://base.example/>\n",
    "# a comment\nPREFIX ex:<http://example.org/>",
    "BASE <http://base.example/from/>",
    "PREFIX from: <http://example.org/from#>\n",
]
TRICKY_PROLOGUES = [
    "# SERVICE FROM\n",
    "PREFIX ex: <http://example.org/service>\n",
    "PREFIX ex:a <http://example.org/>\n",
    "DEFINE input:inference 'x'\n",
    "\ufeff",
    "PREFIX ex: <http://example.org/> PREFIX",
]
ORDINARY_FORMS = [
    "SELECT *",
    "select ?from ?to",
    "SELECT DISTINCT ?s",
    "SELECT (COUNT(*) AS ?n)",
    "SELECT ?s (?o < 3 AS ?small)",
    "ASK",
    "CONSTRUCT { ?s ?p ?o }",
    "CONSTRUCT",
    "DESCRIBE <http://example.org/x>",
    "DESCRIBE ?s",
]
TRICKY_FORMS = [
    "INSERT DATA { <http://x/s> <http://x/p> 1 } ;",
    "DELETE",
    "LOAD <http://x/>",
    "SELECTION *",
    "WITH <http://g/> DELETE { ?s ?p ?o }",
    "SELECT * FROM <http://g.example/>",
    "SELECT * FROM NAMED <http://g.example/>",
    "ASK from<http://g.example/>",
    "CONSTRUCT { ?s ?p ?o } FrOm ex:g",
]
ORDINARY_PATTERNS = [
    "?s ?p ?o .",
    "?s eco:fromOrganisation ?from .",
    "?s ?p 'from here' .",
    '?s ?p """long\nstring with } and { and # and FROM""" .',
    "?s ?p ?o # a comment FROM\n",
    "OPTIONAL { ?s ex:p ?x }",
    "{ ?s ?p ?o } UNION { ?s ?q ?o }",
    "FILTER(?o < 3 && ?o > 1)",
    "FILTER(?a<?b)",
    'FILTER(STRSTARTS(STR(?s), "http://"))',
    "VALUES ?from { <http://x/a> <http://x/b> }",
    "?s ex:p/ex:q* ?o .",
    "?s ^ex:p|ex:q ?o .",
    "?s ex:p [ ex:q ?o ] .",
    "?s ex:list ( 1 2 3 ) .",
    "GRAPH ?g { ?s ?p ?o }",
    "MINUS { ?s a ex:Thing }",
    "FILTER NOT EXISTS { ?s ex:p ?o }",
    "{ SELECT ?s WHERE { ?s ?p ?o } LIMIT 1 }",
    '?s ?p "text"@en-GB .',
    "?s ?p 1.5e3 .",
    "_:b ?p ?o .",
    "BIND(?from AS ?to)",
]
TRICKY_PATTERNS = [
    "?s <http://example.org/service> ?o .",
    '?s ?p "SERVICE <http://evil.example/> { }" .',
    "?s ?p ?o # SERVICE <http://evil.example/>\n",
    "?s ?p ?o #\r SERVICE <http://evil.example/> { ?a ?b ?c }\n",
    "?s ?p ?o #\r FROM <http://g/>\n",
    "SERVICE <http://evil.example/sparql> { ?s ?p ?o }",
    "SERVICE <http://ok.example/sparql> { ?s ?p ?o }",
    "SERVICE SILENT ?endpoint { ?s ?p ?o }",
    "\\u0053ERVICE <http://evil.example/> { ?s ?p ?o }",
    "\\U00000053\\U00000045RVICE <http://evil.example/> { ?s ?p ?o }",
    "\\U0053ervice <http://evil.example/> { ?s ?p ?o }",
    "\u017fERVICE <http://evil.example/> { ?s ?p ?o }",
    'BIND("\\u0046ROM" AS ?word)',
    "OPTIONAL { ?s ex:service ?x }",
    "?s ?p ?o } INSERT DATA { <http://x/s> <http://x/p> 1",
    "FROM <http://g/>",
]
MODIFIERS = ["", "LIMIT 5", "ORDER BY ?s", "GROUP BY ?s", "OFFSET 2 LIMIT 1", "#from the end"]
MUTATIONS = ["{", "}", "(", ")", '"', "'", "<", ">", "#", "\r", "\n", "SERVICE", "FROM", "INSERT", ";", "\\u0041", "."]


def corpus(size: int, seed: int = 20261206) -> list[str]:
    rng = random.Random(seed)
    queries: set[str] = set()
    for make, crashes_at in DEEP_QUERIES.values():
        queries.update((make(3), make(crashes_at // 8 - 1), make(crashes_at // 8 + 1)))

    def pick(ordinary: list[str], tricky: list[str]) -> str:
        return rng.choice(tricky if rng.random() < 0.4 else ordinary)

    while len(queries) < size:
        form = pick(ORDINARY_FORMS, TRICKY_FORMS)
        body = " ".join(pick(ORDINARY_PATTERNS, TRICKY_PATTERNS) for _ in range(rng.randint(1, 2)))
        where = "" if rng.random() < 0.2 else "WHERE "
        nested = rng.randint(0, 1)
        group = "{ " * nested + body + " }" * nested
        query = f"{pick(ORDINARY_PROLOGUES, TRICKY_PROLOGUES)}{form} {where}{{ {group} }} {rng.choice(MODIFIERS)}"
        if rng.random() < 0.3:  # a mutation: a piece inserted, a character deleted or the case changed
            at = rng.randrange(len(query))
            change = rng.choice(("insert", "delete", "case"))
            if change == "insert":
                query = query[:at] + rng.choice(MUTATIONS) + query[at:]
            elif change == "delete":
                query = query[:at] + query[at + 1 :]
            else:
                query = query[:at] + query[at:].swapcase()
        queries.add(query)
    return sorted(queries)


def parsed(text: str) -> tuple[Form, bool, bool] | str:
    """What rdflib's full parse of a query finds in it: its form, whether it calls a SERVICE, whether it names a
    dataset; or, where it cannot read it as a query, "update" or "syntax"."""
    try:
        tree = parseQuery(text)
    except (ParseBaseException, RecursionError):
        try:
            parseUpdate(text)
        except (ParseBaseException, RecursionError):
            return "syntax"
        return "update"
    nodes = list(walk(tree))
    form = {"SelectQuery": Form.SOLUTIONS, "AskQuery": Form.SOLUTIONS}.get(tree[1].name, Form.GRAPH)
    service = any(node.name == "ServiceGraphPattern" for node in nodes)
    return form, service, any(dict.get(node, "datasetClause") for node in nodes)


def test_queries_decided_from_their_tokens_are_never_ones_the_full_parse_finds_unsafe():
    store = ox.Store()  # the store's own parser, on no data
    queries = corpus(10_000)
    decided, unreadable, undecided = 0, 0, []
    for query in queries:
        try:
            text = prepared(query, 100_000)
            query_depth.check(text)
        except (QueryRejectedError, QueryTooDeepError):
            continue  # refused before the tokens are read, whichever way the query is checked
        quick = from_tokens(text)
        if quick is None:
            undecided.append(query)  # parsed, as by the full check
            continue
        decided += 1
        assert "service" not in text.casefold(), query
        found = parsed(text)
        if isinstance(found, tuple):
            assert found == (quick.form, False, False), query
            continue
        assert found == "syntax", query
        unreadable += 1  # rdflib cannot read it: the store's parser refuses it, or reads a query with no SERVICE
        with contextlib.suppress(SyntaxError):
            store.query(PROLOGUE + text)
    assert len(queries) >= 10_000
    assert decided >= 1_500, f"only {decided} of {len(queries)} decided from their tokens"
    assert unreadable >= 100, "too few queries in the corpus that only the store's parser is left to refuse"
    # The corpus holds what the tokens must leave to the parser: SERVICE calls, datasets and updates.
    readings = [parsed(prepared(query, 100_000)) for query in undecided[::20]]
    assert "update" in readings
    assert any(isinstance(reading, tuple) and reading[1] for reading in readings), "no SERVICE call"
    assert any(isinstance(reading, tuple) and reading[2] for reading in readings), "no dataset"
