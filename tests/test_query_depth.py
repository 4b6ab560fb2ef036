"""The depth of a query as the store would build it, reckoned from its tokens: every construct Oxigraph's parser or
evaluator recurses over counts where it stands, flat chains included, and nothing that only looks like one (inside a
string, an IRI or a comment) counts. The counts that crashed ``oxigraph serve`` are in bench/README.md; the server
tests (test_abuse.py) send each of them."""

from __future__ import annotations

import pytest
from conftest import BASE, one_pass_only
from helpers import DEEP_QUERIES

from api.query_depth import SAFETY, QueryTooDeepError, check, reckon
from graph.queries import all_queries
from graph.rdf.namespaces import prefixes

pytestmark = one_pass_only


@pytest.mark.parametrize("name", DEEP_QUERIES)
def test_every_construct_the_store_recursed_over_is_refused_well_before_the_count_that_crashed_it(name):
    """Refused from an eighth of the count that crashed the store, or sooner where a construct is several things the
    store recurses over (a UNION's branches are groups too); never sooner than a fortieth."""
    make, crashed_at = DEEP_QUERIES[name]
    with pytest.raises(QueryTooDeepError, match="nested too deeply"):
        check(make(crashed_at))
    with pytest.raises(QueryTooDeepError):
        check(make(crashed_at // SAFETY + 1))
    check(make(crashed_at // (SAFETY * 5)))


def test_the_message_names_what_makes_the_query_deep_and_how_many_are_allowed():
    with pytest.raises(QueryTooDeepError) as refused:
        check("SELECT * WHERE { " + "MINUS{} " * 3000 + "}")
    message = str(refused.value)
    assert "or more MINUS (at most 117)" in message and "Split it into smaller queries" in message


def test_a_refused_query_is_read_only_until_it_is_too_deep():
    """3,000 MINUS take as long to refuse as the hundred that pass the limit, not thirty times as long."""
    reckoned = reckon("SELECT * WHERE { " + "MINUS{} " * 3000 + "}")
    assert 1 <= reckoned.share < 1.1


def test_constructs_add_up_along_one_path_but_siblings_do_not():
    minus = "MINUS { ?s ?p ?o } "
    half = reckon("SELECT * WHERE { ?s ?p ?o " + minus * 30 + "}").share
    assert reckon("SELECT * WHERE { ?s ?p ?o " + minus * 60 + "}").share == pytest.approx(2 * half, rel=0.05)
    calls = "SELECT * WHERE { FILTER(" + " && ".join(["STR(STR(STR(?x))) = 'a'"] * 20) + ") }"
    nested = "SELECT * WHERE { FILTER(STR(STR(STR(?x))) = 'a') }"
    assert reckon(calls).share < reckon(nested).share + 20 * reckon("SELECT * WHERE { FILTER(?x && ?y) }").share


def test_a_blank_node_or_collection_joins_the_chain_of_the_group_it_stands_in():
    """Sixteen blank nodes of fifty triples each make one group of 800 triple patterns, as the store reads it."""
    objects = ", ".join("[ " + " ; ".join(f"<p:q> ?o{i}" for i in range(50)) + " ]" for _ in range(16))
    with pytest.raises(QueryTooDeepError, match="triple patterns in one group"):
        check(f"SELECT * WHERE {{ ?s <p:p> {objects} }}")
    items = " ".join(f"?o{i}" for i in range(4000))
    with pytest.raises(QueryTooDeepError, match="collections"):
        check(f"SELECT * WHERE {{ ?s <p:p> ( {items} ) }}")


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p " + '"' + "MINUS{} " * 3000 + '" }',
        "SELECT * WHERE { ?s ?p '''" + "1+" * 10000 + "''' }",
        "SELECT * WHERE { ?s ?p ?o } # " + "MINUS{} " * 3000,
        "SELECT * WHERE { VALUES ?x { " + " ".join(f"<http://x.example/{i}/a/b/c>" for i in range(5000)) + " } }",
        "SELECT * WHERE { ?s <http://x.example/" + "a/" * 5000 + "> ?o }",
        "SELECT * WHERE { VALUES (?a ?b) { "
        + " ".join(f"(<http://x.example/{i}> {i}.5)" for i in range(3000))
        + " } }",
    ],
    ids=["string", "long-string", "comment", "values-of-iris", "long-iri", "values-rows"],
)
def test_what_only_looks_like_a_chain_inside_strings_comments_iris_or_values_does_not_count(query):
    assert reckon(query).share < 0.1
    check(query)


@pytest.mark.parametrize(
    "query",
    [
        # Less-than, then a sum of 20,000 terms, then greater-than: no space, so it looks like one IRI.
        "SELECT * WHERE { FILTER(1<a:1" + "+1" * 20000 + ">0) }",
        "SELECT * WHERE { BIND((1<a:b" + "/a:b" * 5000 + ">0) AS ?x) }",
        "SELECT ?x WHERE { ?x ?p ?o } ORDER BY (?x<a:b" + "|a:b" * 5000 + ">?o)",
    ],
    ids=["filter", "bind", "order-by"],
)
def test_a_chain_behind_a_less_than_that_looks_like_an_iri_is_counted(query):
    """The store reads ``1<1+1+…>0`` as comparisons of a sum, not as an IRI: so must the count."""
    with pytest.raises(QueryTooDeepError, match="nested too deeply"):
        check(query)


def test_a_less_than_that_would_read_differently_as_an_iri_is_refused_with_where_it_is():
    """As an IRI, the apostrophe is a character of it; as less-than, it starts a string that may hide anything."""
    query = "SELECT * WHERE {\n  FILTER(1<a'b>0)\n}"
    with pytest.raises(QueryTooDeepError, match=r"Line 2, column 11: this '<' could start an IRI or be less-than"):
        check(query)
    check("SELECT * WHERE {\n  FILTER(1 < 2)\n  ?s ?p <http://x.example/it's> }")


def test_an_integer_before_a_full_stop_leaves_the_full_stop_a_separator():
    chain = " ".join(f"?s{i} ?p 1." for i in range(200))
    with pytest.raises(QueryTooDeepError, match="triple patterns"):
        check("SELECT * WHERE { " + chain + " }")


def test_every_saved_query_is_well_within_the_limit():
    """Researchers copy the saved queries into the editor, and write ones like them."""
    for query in all_queries():
        assert reckon(query.standalone(BASE, prefixes(BASE))).share < 0.5, query.name
