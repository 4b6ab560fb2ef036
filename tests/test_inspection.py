"""A query text that passed the checks is not parsed again; any other text is, however alike, so that the store
only ever sees text rdflib has read."""

from __future__ import annotations

import pytest
from conftest import one_pass_only

from api.inspection import Form, QueryRejectedError, inspect

pytestmark = one_pass_only

PROLOGUE = "PREFIX ex: <http://example.org/>\n"


def check(query: str, hosts: tuple[str, ...] = ()):
    return inspect(query, PROLOGUE, hosts, 100_000)


def test_a_query_text_that_passed_is_not_parsed_again(monkeypatch):
    text = "SELECT ?p WHERE { <http://example.org/one> ?p 'first' }"
    assert check(text).form is Form.SOLUTIONS

    def refuse(_text):
        raise AssertionError("parsed again")

    monkeypatch.setattr("api.inspection.parseQuery", refuse)
    assert check(text).form is Form.SOLUTIONS
    with pytest.raises(QueryRejectedError, match=r"\(AssertionError\)"):  # another organisation: parsed again
        check("SELECT ?p WHERE { <http://example.org/two> ?p 'first' }")


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
