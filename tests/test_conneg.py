"""Accept headers as real browsers and clients send them."""

import pytest
from conftest import one_pass_only

from api.conneg import choose

pytestmark = one_pass_only

RESULTS = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv", "text/tab-separated-values"]
PAGES = ["text/html", "text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"]


@pytest.mark.parametrize(
    ("accept", "offered", "expected"),
    [
        (None, RESULTS, "application/sparql-results+json"),
        ("*/*", PAGES, "text/html"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8", PAGES, "text/html"),
        (
            "application/sparql-results+xml, application/sparql-results+json;q=0.9",
            RESULTS,
            "application/sparql-results+xml",
        ),
        ("text/turtle;q=0.5, application/ld+json", PAGES, "application/ld+json"),
        ("application/rdf+xml;q=0.9, text/*;q=0.1", PAGES, "application/rdf+xml"),
        ("text/*", PAGES, "text/html"),
        ("TEXT/CSV", RESULTS, "text/csv"),
        ("text/html;q=0, */*;q=0.1", PAGES, "text/turtle"),
        ("image/png", RESULTS, None),
        ("text/csv;q=0", RESULTS, None),
        ("garbage, text/turtle", PAGES, "text/turtle"),
        ("text/turtle;q=abc, application/n-triples", PAGES, "application/n-triples"),
    ],
)
def test_choose(accept, offered, expected):
    assert choose(accept, offered) == expected
