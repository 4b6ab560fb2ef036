"""A query's pattern (its text with IRIs, strings and comments emptied) stands for the queries alike but for
those: one that passed the checks is not parsed again, and nothing else shares its pass."""

from __future__ import annotations

import pytest

from api.inspection import Form, QueryRejectedError, inspect, pattern

PROLOGUE = "PREFIX ex: <http://example.org/>\n"


def check(query: str):
    return inspect(query, PROLOGUE, (), 100_000)


def test_the_pattern_empties_iris_and_strings_drops_comments_and_keeps_the_rest():
    query = """SELECT * { <http://a/b> ?p "x\\"y"@en . ?s ?p 'it\\'s' # a comment with a " quote
      FILTER(?a < 3 && ?b > 2) ?x ?y \"\"\"long " one\"\"\" }"""
    emptied = """SELECT * { <> ?p ""@en . ?s ?p '' FILTER(?a < 3 && ?b > 2) ?x ?y "" }"""
    assert pattern(query) == emptied
    assert pattern('SELECT * { ?s ?p "\\q" }') != pattern('SELECT * { ?s ?p "q" }')  # no such escape: not a string
    assert pattern("SELECT * { <http://a b> ?p ?o }") != pattern("SELECT * { <http://ab> ?p ?o }")


def test_a_query_like_one_that_passed_is_not_parsed_again(monkeypatch):
    first = check("SELECT ?p WHERE { <http://example.org/one> ?p 'first' }")
    assert first is not None and first.form is Form.SOLUTIONS

    def refuse(_text):
        raise AssertionError("parsed again")

    monkeypatch.setattr("api.inspection.parseQuery", refuse)
    again = check("SELECT ?p WHERE { <http://example.org/two> ?p 'second' } # another organisation")
    assert again is not None and again.form is Form.SOLUTIONS
    assert "example.org/two" in again.text  # the store is sent this query, not the one that passed
    with pytest.raises(QueryRejectedError, match=r"\(AssertionError\)"):  # another pattern: parsed (and refused)
        check("CONSTRUCT WHERE { <http://example.org/two> ?p 'second' }")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT ?p WHERE { <http://example.org/a> ?p 'x' } }",  # a stray brace: not the pattern that passed
        'SELECT ?p WHERE { <http://example.org/a> ?p "\\q" }',  # an escape SPARQL does not have
        "SELECT ?p WHERE { <http://example.org/a b> ?p 'x' }",  # a space in an IRI
        "INSERT DATA { <http://example.org/a> <http://example.org/p> 'x' }",
    ],
)
def test_a_bad_query_never_shares_the_pass_of_a_good_one_alike(query):
    assert check("SELECT ?p WHERE { <http://example.org/z> ?p 'x' }") is not None
    with pytest.raises(QueryRejectedError) as refused:
        check(query)
    assert refused.value.status == 400


def test_a_query_that_mentions_service_is_always_checked_in_full():
    allowed = inspect("SELECT * { SERVICE <http://ok.example/sparql> { ?s ?p ?o } }", PROLOGUE, ("ok.example",), 9999)
    assert allowed is not None
    with pytest.raises(QueryRejectedError, match=r"SERVICE calls to http://evil\.example/sparql are not allowed"):
        inspect("SELECT * { SERVICE <http://evil.example/sparql> { ?s ?p ?o } }", PROLOGUE, ("ok.example",), 9999)
