"""The name-search index finds what a scan of every name finds, and lists searched through it or through the
store's own scan agree."""

from __future__ import annotations

import random

import pyoxigraph as ox
import pytest
from conftest import BASE, one_pass_only
from helpers import rows, seed_census, seed_names

from api.services.listing import KINDS, Filters, count_query, narrowed, page_query
from graph.matching.names import NAMES_QUERY, NameIndex

pytestmark = one_pass_only


def test_the_index_finds_exactly_the_names_that_hold_the_text_in_any_case():
    rng = random.Random(7)
    words = ["Data", "Trust", "Open", "Institute", "Ŵales", "Cymru", "AI", "Lab", "&", "Co-op"]
    names = [(f"x:{i}", " ".join(rng.choices(words, k=rng.randint(1, 4)))) for i in range(500)]
    index = NameIndex(names)
    for text in ["data", "DATA TRUST", "ŵal", "a", "ai", "co-op", "& co", "zebra", "e i", "Institute Institute"]:
        scanned = {owner for owner, name in names if text.lower() in name.lower()}
        assert index.holding(text) == scanned, text
    assert index.holding("data") and not index.holding("zebra")


def test_a_search_can_stop_once_it_has_found_more_than_enough():
    index = NameIndex((f"x:{i}", f"Data Trust {i}") for i in range(1000))
    assert len(index.holding("data", up_to=10)) == 11
    assert index.holding("data trust 99", up_to=10) == {f"x:{i}" for i in (99, *range(990, 1000))}
    assert index.holding("data trust 999", up_to=10) == {"x:999"}
    assert len(index.holding("a", up_to=None)) == 1000


def test_things_without_an_iri_are_not_in_the_index():
    """A labelled blank node (a post someone holds) could not be asked for by IRI: it is left out."""
    store = ox.Store()
    label = ox.NamedNode("http://www.w3.org/2004/02/skos/core#prefLabel")
    store.add(ox.Quad(ox.NamedNode("http://example.org/org"), label, ox.Literal("Director of Data")))
    store.add(ox.Quad(ox.BlankNode(), label, ox.Literal("Director")))
    rows = store.query("PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n" + NAMES_QUERY)
    index = NameIndex((row["item"].value, row["name"].value) for row in rows)
    assert index.holding("director") == {"http://example.org/org"}


@pytest.mark.parametrize("kind", ["organisations", "activities"])
@pytest.mark.parametrize("q", ["data", "ODI", "institute", "catapult", "nds", "a", "no such name"])
def test_a_list_searched_through_the_index_is_the_list_the_store_scan_gives(seeded_store, kind, q):
    index = NameIndex((row["item"].value, row["name"].value) for row in rows(seeded_store, NAMES_QUERY))
    scanned, indexed = Filters(q=q), narrowed(Filters(q=q), index)
    assert indexed.named is not None and scanned.named is None

    def answer(filters: Filters) -> tuple[list[str], list[str]]:
        [count] = rows(seeded_store, count_query(KINDS[kind], filters))
        page = rows(seeded_store, page_query(KINDS[kind], filters, 0, 500))
        return [count["total"].value], [row["item"].value for row in page]

    assert answer(indexed) == answer(scanned)
    if q == "no such name":
        assert answer(indexed) == (["0"], [])
    if q == "ODI" and kind == "organisations":
        # The seed's organisations with a name that holds "odi" in any case, read from graph/seed/*.trig: the ODI
        # (its other name "ODI"), and others named so, such as ODI Cardiff. Listed once each, whatever their order.
        named = {
            o for o, names in seed_names(seed_census().organisations).items() if any("odi" in n.lower() for n in names)
        }
        assert f"{BASE}/id/organisation/odi" in named and f"{BASE}/id/organisation/odi-cardiff" in named
        count, listed = answer(indexed)
        assert count == [str(len(named))] and len(listed) == len(set(listed)) and set(listed) == named
