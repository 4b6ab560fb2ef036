"""Dereferenceable URIs: 303 from /id to /doc, content negotiation, suffixes, 404s, conditional GET, /def."""

from __future__ import annotations

import gzip
import json
import re
from concurrent.futures import ThreadPoolExecutor

import pyoxigraph as ox
import pytest
import rdflib
import rdflib.compare
import web
from conftest import BASE, SAME_OVER_EITHER, one_pass, start_app, stop_server
from helpers import kept_copy, seed_census, seed_graph, seed_reading

from api.services import named_graphs

pytestmark = one_pass("remote", SAME_OVER_EITHER)

ODI = "http://127.0.0.1:8000/id/organisation/odi"
ADDRESS_RISKS = "def/m1-principle/address-risks"
RDF_TYPES = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}


def get(server, path, accept=None, **kwargs):
    headers = {"Accept": accept} if accept else {}
    return web.get(server.url + path, headers=headers, follow_redirects=False, **kwargs)


def test_a_thing_uri_answers_303_see_other_to_its_document(server):
    response = get(server, "/id/organisation/odi", "text/turtle")
    assert response.status_code == 303
    assert response.headers["location"] == "/doc/organisation/odi"


@pytest.mark.parametrize(("media_type", "rdflib_format"), RDF_TYPES.items())
def test_the_document_negotiates_every_rdf_format_and_describes_the_thing(server, media_type, rdflib_format):
    response = get(server, "/doc/organisation/odi", media_type)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert "Accept" in response.headers["vary"]
    graph = rdflib.Graph().parse(data=response.content, format=rdflib_format)
    odi = rdflib.URIRef(ODI)
    skos = rdflib.Namespace("http://www.w3.org/2004/02/skos/core#")
    foaf = rdflib.Namespace("http://xmlns.com/foaf/0.1/")
    eco = rdflib.Namespace("http://127.0.0.1:8000/def/ecosystem/")
    assert (odi, skos.prefLabel, rdflib.Literal("Open Data Institute", lang="en")) in graph
    # inbound relationships, the activities in its record, labels of what it links to, and provenance
    assert (
        rdflib.URIRef("http://127.0.0.1:8000/id/relationship/odi-supports-ndsi-team-mapping-pilot"),
        eco.fromOrganisation,
        odi,
    ) in graph
    assert (rdflib.URIRef("http://127.0.0.1:8000/id/activity/odi-data-sharing-risk-guide"), eco.runBy, odi) in graph
    assert (rdflib.URIRef("http://127.0.0.1:8000/def/organisation-kind/company"), skos.prefLabel, None) in graph
    record = rdflib.URIRef("http://127.0.0.1:8000/data/organisation/odi")
    assert (record, eco.status, rdflib.URIRef("http://127.0.0.1:8000/def/record-status/approved")) in graph
    document = rdflib.URIRef("http://127.0.0.1:8000/doc/organisation/odi")
    assert (document, foaf.primaryTopic, odi) in graph
    assert (document, rdflib.URIRef("http://purl.org/dc/terms/license"), None) in graph


@pytest.mark.parametrize(
    "path", ["/doc/organisation/odi", "/doc/activity/odi-data-sharing-risk-guide", "/def/ecosystem"]
)
def test_every_rdf_format_says_exactly_the_same_as_n_triples(server, path):
    """JSON-LD is written by ecomap itself (api/renderers/jsonld.py): read back, it must be the very graph the other
    formats give, literals' languages and datatypes included."""
    from rdflib.compare import isomorphic

    reference = rdflib.Graph().parse(data=get(server, path, "application/n-triples").content, format="nt")
    assert len(reference) > 10
    for media_type, rdflib_format in RDF_TYPES.items():
        graph = rdflib.Graph().parse(data=get(server, path, media_type).content, format=rdflib_format)
        assert isomorphic(graph, reference), (path, media_type, set(graph) ^ set(reference))


@pytest.mark.parametrize(
    ("suffix", "media_type"),
    [
        (".ttl", "text/turtle"),
        (".jsonld", "application/ld+json"),
        (".nt", "application/n-triples"),
        (".rdf", "application/rdf+xml"),
        (".html", "text/html"),
    ],
)
def test_suffix_forms_for_links_that_cannot_set_headers(server, suffix, media_type):
    response = get(server, f"/doc/organisation/odi{suffix}", "text/html")
    assert response.status_code == 200 and response.headers["content-type"].startswith(media_type)


@pytest.mark.parametrize("path", ["/doc/organisation/odi", "/def/ecosystem/Activity"])
def test_documents_are_negotiated_as_every_other_answer_is(server, path):
    """The one negotiation of the app (``api.negotiation``): a suffix names the media type, else ``format=``, else
    Accept; ``format=`` also takes a media type, and a format the document cannot give is refused with the names
    it can."""
    turtle = web.get(server.url + path, params={"format": "ttl"}, headers={"Accept": "text/html"})
    assert turtle.status_code == 200 and turtle.headers["content-type"].startswith("text/turtle")
    jsonld = web.get(server.url + path, params={"format": "application/ld+json"})
    assert jsonld.status_code == 200 and jsonld.headers["content-type"].startswith("application/ld+json")
    suffixed = web.get(server.url + path + ".nt", params={"format": "ttl"})
    assert suffixed.headers["content-type"].startswith("application/n-triples")
    refused = web.get(server.url + path, params={"format": "csv"})
    assert refused.status_code == 406 and "format=csv is not one of html" in refused.text
    unacceptable = web.get(server.url + path, headers={"Accept": "image/png"})
    assert unacceptable.status_code == 406 and "Ask for text/html, text/turtle" in unacceptable.text


def test_places_concepts_and_ontology_terms_dereference(server):
    place = web.get(server.url + "/id/place/W92000004", headers={"Accept": "text/turtle"}, follow_redirects=True)
    assert place.status_code == 200 and '"Cymru"@cy' in place.text
    term = get(server, "/def/ecosystem/Activity", "text/turtle")
    graph = rdflib.Graph().parse(data=term.text, format="turtle")
    assert (
        rdflib.URIRef("http://127.0.0.1:8000/def/ecosystem/Activity"),
        rdflib.RDFS.label,
        rdflib.Literal("Activity", lang="en"),
    ) in graph
    concept = get(server, "/def/m1-principle/address-risks", "text/html")
    assert concept.status_code == 200 and "Support new ways of addressing the risks of data sharing" in concept.text


@pytest.mark.parametrize("accept", ["text/html", "text/turtle"])
def test_unknown_ids_get_a_helpful_404_in_the_form_asked(server, accept):
    for path in ("/doc/organisation/no-such-organisation", "/id/company/odi", "/doc/organisation/no-such.ttl"):
        response = get(server, path, accept)
        assert response.status_code == 404
        assert "knows nothing called" in response.text
        if accept == "text/html" and not path.endswith(".ttl"):
            assert response.headers["content-type"].startswith("text/html")


def test_conditional_get_answers_304_when_nothing_changed(server):
    first = get(server, "/doc/organisation/odi", "text/turtle")
    etag = first.headers["etag"]
    again = get(server, "/doc/organisation/odi", "text/turtle")
    assert again.headers["etag"] == etag
    cached = web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle", "If-None-Match": etag})
    assert cached.status_code == 304 and cached.content == b""


def test_every_literal_is_escaped_in_html(server):
    page = get(server, "/doc/organisation/hostile-test-org", "text/html")
    assert page.status_code == 200
    assert "<script>alert" not in page.text
    assert "&lt;script&gt;alert(&#39;owned&#39;)&lt;/script&gt; Hostile &amp; Sons" in page.text
    embedded = re.search(r'<script type="application/ld\+json">(.*?)</script>', page.text, re.S)
    assert embedded and "<" not in embedded.group(1)
    data = json.loads(embedded.group(1))
    assert "<script>alert" in json.dumps(data)  # the value survives, escaped only for the script element


def test_the_html_page_shows_what_the_organisation_does_and_links_locally(server):
    page = get(server, "/doc/organisation/odi", "text/html").text
    assert "<h1>Open Data Institute</h1>" in page
    assert 'href="/id/activity/odi-data-sharing-risk-guide"' in page
    assert 'href="/doc/organisation/odi.ttl"' in page
    assert "ODI guide to assessing and managing the risks of sharing data" in page


def test_the_landing_page_shows_the_shape_of_the_map_with_links(server):
    page = get(server, "/", "text/html")
    assert page.status_code == 200
    assert "not data sets" in page.text
    seed = seed_census()
    assert f"<td>organisations</td><td>{len(seed.organisations) + 1}</td>" in page.text  # and the hostile record
    assert f'<a href="/organisations?kind=company">Company</a></td><td>{seed.kinds["company"]}</td>' in page.text
    scotland = seed.based_or_working_in["S92000003"]  # no place of the map lies within Scotland
    assert f'<a href="/organisations?place=S92000003">Scotland</a></td><td>{scotland}</td>' in page.text
    # how many organisations lead, run, host or take part in activities that support the principle (docs/where.md, 4)
    supporting = {organisation for organisation, _ in seed_reading().supporters(ADDRESS_RISKS, named=False)}
    assert "id/organisation/odi" in supporting  # the ODI's guide to the risks of sharing data
    assert f'<a href="/organisations?area={ADDRESS_RISKS}">{len(supporting)}</a>' in page.text
    assert "<caption>Mission 1 policy framework: priority areas for action</caption>" in page.text


def test_openapi_docs_are_served_without_any_cdn(server):
    page = get(server, "/docs")
    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
    assert sources and all(s.startswith("/") for s in sources), sources
    for source in sources:
        assert get(server, source).status_code == 200, source
    spec = get(server, "/openapi.json").json()
    assert "/sparql" in spec["paths"] and "/id/{uri_class}/{key}" in spec["paths"]


def test_json_ld_is_compact_with_ecomaps_published_context(server):
    document = get(server, "/doc/organisation/odi", "application/ld+json").json()
    published = get(server, "/context.jsonld").json()
    assert document["@context"] == published["@context"]
    assert published["@context"]["eco"] == "http://127.0.0.1:8000/def/ecosystem/"
    nodes = document["@graph"]
    odi = next(node for node in nodes if node.get("id") == "organisation:odi")
    assert odi["name"] == {"en": "Open Data Institute"}


def test_last_modified_is_sent_and_if_modified_since_never_gives_a_stale_304(server):
    response = get(server, "/doc/organisation/odi", "text/turtle")
    stamp = response.headers["last-modified"]
    assert stamp.endswith("GMT")
    for since in (stamp, "Sat, 01 Jan 2000 00:00:00 -0000", "not a date"):
        assert web.get(server.url + "/doc/organisation/odi", headers={"If-Modified-Since": since}).status_code == 200


def test_ontology_term_pages_say_how_often_the_map_uses_them(server):
    supports = len(set(seed_graph().triples((None, rdflib.URIRef(BASE + "/def/ecosystem/supports"), None))))
    assert f"Used in {supports} statements on the map." in get(server, "/def/ecosystem/supports", "text/html").text
    activities = len(seed_census().activities)
    assert (
        f"{activities} things on the map are of this class." in get(server, "/def/ecosystem/Activity", "text/html").text
    )
    turtle = rdflib.Graph().parse(data=get(server, "/def/ecosystem/Activity", "text/turtle").text, format="turtle")
    void = rdflib.Namespace("http://rdfs.org/ns/void#")
    partition = turtle.value(
        predicate=void["class"], object=rdflib.URIRef("http://127.0.0.1:8000/def/ecosystem/Activity")
    )
    assert int(turtle.value(partition, void.entities)) == activities


def test_the_whole_ontology_and_a_whole_scheme_dereference(server):
    ontology = rdflib.Graph().parse(data=get(server, "/def/ecosystem", "text/turtle").text, format="turtle")
    eco = rdflib.Namespace("http://127.0.0.1:8000/def/ecosystem/")
    assert (eco.Relationship, rdflib.RDF.type, rdflib.OWL.Class) in ontology
    assert (eco.supports, rdflib.RDFS.comment, None) in ontology
    scheme = rdflib.Graph().parse(data=get(server, "/def/nds-mission", "text/turtle").text, format="turtle")
    assert len(set(scheme.subjects(rdflib.URIRef("http://www.w3.org/2004/02/skos/core#inScheme"), None))) == 5


def test_pages_embed_schema_org(server):
    page = get(server, "/doc/organisation/odi", "text/html").text
    data = json.loads(re.search(r'<script type="application/ld\+json">(.*?)</script>', page, re.S).group(1))
    odi = next(node for node in data["@graph"] if node.get("id") == "organisation:odi")
    assert "schema:Organization" in odi["type"] and odi["schema:name"] == {
        "@language": "en",
        "@value": "Open Data Institute",
    }


def test_an_organisation_page_says_what_it_does_with_whom_its_numbers_and_sources(server):
    page = get(server, "/doc/organisation/dcms", "text/html").text
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page))
    assert (
        "It runs Workshop in Manchester on data sharing in connected places (event), which supports Improve or demonstrate incentives for data sharing (an editor's judgement)."
        in text
    )
    assert (
        "Department for Culture, Media and Sport collaborates with PricewaterhouseCoopers LLP, on Workshop in Manchester"
        in text
    )
    assert "Department for Culture, Media and Sport is a partner in National Data Strategy Forum." in text
    odi = get(server, "/doc/organisation/odi", "text/html").text
    assert '<a href="http://business.data.gov.uk/id/company/08030289">Companies House 08030289</a>' in odi
    assert '<a href="/id/identifier/GB-COH-08030289">GB-COH-08030289</a>' in odi
    royal_society = get(server, "/doc/organisation/royal-society", "text/html").text
    assert '<a href="http://www.wikidata.org/entity/Q123885">Wikidata Q123885</a>' in royal_society
    assert "GB-CHC-207043" in royal_society and 'Based in <a href="/id/place/E12000007">London</a>' in royal_society
    forum = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", get(server, "/doc/organisation/nds-forum", "text/html").text))
    assert "It takes part in Challenge to NDS Forum participants on unlocking the value of data" in forum


def test_concept_and_place_pages_link_to_the_organisations_behind_them(server):
    concept = get(server, "/def/m1-principle/address-risks", "text/html").text
    assert 'href="/organisations?area=def/m1-principle/address-risks"' in concept
    place = web.get(server.url + "/doc/place/S92000003", headers={"Accept": "text/html"}).text
    assert 'href="/organisations?place=S92000003"' in place


def test_statements_that_rest_on_an_editors_judgement_say_so_with_the_rationale(server):
    page = get(server, "/doc/activity/odi-data-sharing-risk-guide", "text/html").text
    assert (
        "an editor&#39;s judgement: The guide helps organisations assess and manage the risks of sharing data." in page
    )
    royal_society = get(server, "/doc/organisation/royal-society", "text/html").text
    assert (
        '(<a href="http://statistics.data.gov.uk/id/statistical-geography/E12000007">ONS geography</a>)'
        in royal_society
    )
    assert (
        "an editor&#39;s judgement: The charity register gives its address as 6-9 Carlton House Terrace"
        in royal_society
    )


@pytest.mark.parametrize(
    "path", ["/def/x%3E%20%23", "/def/x%22y", "/doc/organisation/odi%0A", "/id/organisation/odi%0A", "/def/a/../../b"]
)
def test_odd_paths_are_not_found_rather_than_pasted_into_a_query(server, path):
    response = web.get(server.url + path, headers={"Accept": "text/turtle"}, follow_redirects=False)
    assert response.status_code == 404, (path, response.status_code, response.text)


def test_only_http_and_local_addresses_become_links(server):
    """A javascript: IRI in the data is shown as text, never as a link a reader could click."""
    page = web.get(server.url + "/doc/organisation/hostile-test-org", headers={"Accept": "text/html"}).text
    assert "javascript:alert" in page and 'href="javascript:' not in page


BROKEN_RELATIONSHIP = """
@prefix eco: <http://127.0.0.1:8000/def/ecosystem/> .
<http://127.0.0.1:8000/data/relationship/half-a-link> {
  <http://127.0.0.1:8000/id/relationship/half-a-link> a eco:Relationship ;
     eco:fromOrganisation <http://127.0.0.1:8000/id/organisation/odi> ;
     eco:relationshipKind <http://127.0.0.1:8000/def/relationship-kind/collaborates-with> .
}
<http://127.0.0.1:8000/data/relationship/a-link-to-a-name> {
  <http://127.0.0.1:8000/id/relationship/a-link-to-a-name> a eco:Relationship ;
     eco:fromOrganisation <http://127.0.0.1:8000/id/organisation/odi> ;
     eco:toOrganisation "Another organisation" ;
     eco:relationshipKind "partner" .
}
"""


def test_a_relationship_loaded_without_its_other_end_or_with_a_name_for_it_does_not_fail_the_page(tmp_path):
    """An operator's load is not checked against the shapes (``ecomap check`` names what breaks them): a relationship
    without the organisation at its other end, or with a name where its IRI should be, made its organisation's page
    a 500."""
    server = start_app(tmp_path / "served")
    try:
        broken = tmp_path / "broken.trig"
        broken.write_text(BROKEN_RELATIONSHIP, encoding="utf-8")
        loaded = server.ecomap("load", str(broken))
        assert loaded.returncode == 0, loaded.stderr
        page = web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/html"})
        assert page.status_code == 200 and "Open Data Institute" in page.text
        assert "relationship:half-a-link" in page.text, "the page's JSON-LD still holds what the store says"
        assert "Another organisation" in page.text, "a relationship to a name is shown with the name"
        turtle = web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"})
        assert turtle.status_code == 200
    finally:
        stop_server(server)


def graphs_named_by(server, path: str) -> set[str]:
    """The named graphs of the map that the document at ``path`` names (a record's graph, the metadata…)."""
    graph = rdflib.Graph().parse(data=get(server, path, "text/turtle").text, format="turtle")
    return {str(node) for node in graph.all_nodes() if str(node).startswith(BASE + "/data/")}


def statements_in(server, graph: str) -> rdflib.Graph:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    answer = web.post(server.url + "/sparql", data={"query": query}, headers={"Accept": "application/n-triples"})
    assert answer.status_code == 200, answer.text  # an error's text is no N-Triples: say what it was
    return rdflib.Graph().parse(data=answer.text, format="nt")


def test_each_named_graph_a_document_names_answers_with_its_statements_in_every_format(server):
    """Every /doc names the graphs its statements come from; before, each of those IRIs answered 404."""
    named = graphs_named_by(server, "/doc/organisation/odi")
    assert BASE + "/data/organisation/odi" in named
    named |= {BASE + "/data/metadata", BASE + "/data/version", BASE + "/data/places"}
    for graph in sorted(named):
        path = graph.removeprefix(BASE)
        expected = statements_in(server, graph)
        assert len(expected) > 0, graph
        dataset = rdflib.Dataset()
        dataset.parse(server.url + path, format="trig")  # rdflib asks for TriG itself
        assert rdflib.compare.isomorphic(dataset.graph(rdflib.URIRef(graph)), expected), graph
        for media_type, rdflib_format in RDF_TYPES.items():
            answer = get(server, path, media_type)
            assert answer.status_code == 200 and answer.headers["content-type"].startswith(media_type), graph
            read = rdflib.Graph().parse(data=answer.content, format=rdflib_format)
            assert rdflib.compare.isomorphic(read, expected), (graph, media_type)
        page = get(server, path, "text/html")
        assert page.status_code == 200 and f"{len(expected)} statement" in page.text, graph
        assert "Ecomap-Result-Cap" not in page.headers


def test_a_named_graph_as_a_dataset_carries_what_the_metadata_says_of_it(server):
    answer = get(server, "/data/organisation/odi.nq")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/n-quads")
    dataset = rdflib.Dataset().parse(data=answer.text, format="nquads")
    metadata = dataset.graph(rdflib.URIRef(BASE + "/data/metadata"))
    record = rdflib.URIRef(BASE + "/data/organisation/odi")
    assert (record, rdflib.URIRef("http://xmlns.com/foaf/0.1/primaryTopic"), rdflib.URIRef(ODI)) in metadata


@pytest.mark.parametrize(
    "path",
    [
        "/data/organisation/no-such-thing",
        "/data/nothing",
        "/data/a/b/c/d/e",
        "/data/.x",
        "/data/organisation/odi%3E%20%7D%20%7D%20SELECT%20*%20%7B%20%3Fs%20%3Fp%20%3Fo",  # an IRI that ends and a query
        "/data/organisation/" + "a" * 20000,
    ],
    ids=["unknown-record", "unknown-graph", "too-deep", "dot", "query-in-the-iri", "long"],
)
def test_a_graph_the_map_does_not_hold_is_404_in_the_format_asked(server, path):
    for accept in ("text/html", "application/trig"):
        answer = get(server, path, accept)
        assert answer.status_code == 404, (path, accept)
        assert "Traceback" not in answer.text


def test_a_graph_larger_than_a_document_holds_says_so_and_how_many_it_has(tmp_path, monkeypatch):
    """The metadata describes every record: on a large map it is too large to send as one document."""
    monkeypatch.setattr(named_graphs, "STATEMENT_CAP", 10)
    own = start_app(tmp_path, ECOMAP_KEEP_AFTER_MS="0")  # keep the page however quickly it was made
    try:
        total = len(statements_in(own, BASE + "/data/metadata"))
        first = get(own, "/data/metadata", "text/turtle")
        kept = kept_copy(own.url + "/data/metadata", {"Accept": "text/turtle"})
        for answer, cache in ((first, "miss"), (kept, "hit")):  # a kept answer says it was cut as the first did
            assert answer.status_code == 200 and answer.headers["ecomap-cache"] == cache
            assert answer.headers["ecomap-result-cap"] == f"10 statements of {total}"
            assert len(rdflib.Graph().parse(data=answer.text, format="turtle")) == 10
        page = get(own, "/data/metadata", "text/html")
        assert f"It holds {total} statements; the first 10 are shown" in page.text
        assert page.text.count("<tr><td>") == 10
    finally:
        stop_server(own)


@pytest.mark.parametrize(
    ("path", "graph"),
    [("/doc/organisation/odi", "/data/organisation/odi"), ("/doc/identifier/GB-COH-08030289", None)],
)
def test_a_page_links_to_its_record_s_named_graph_where_it_has_one(server, path, graph):
    """An identifier or a post is part of another record: its page once linked to a graph that answered 404."""
    page = get(server, path, "text/html").text
    links = set(re.findall(r'href="(/data/[^"]*)"', page))
    assert links == ({graph} if graph else set())
    for link in links:
        assert get(server, link, "text/html").status_code == 200


def test_every_iri_under_the_base_in_the_full_dump_dereferences(server):
    """Each IRI the map publishes under its base, as subject, property, value or graph (fragments aside): 200, after
    a 303 where it names a thing, or the 410 or 301 of an ended record. Before, the shapes' graph, the reused terms'
    graph and the ontology's version IRI were 404s."""
    dump = web.get(server.url + "/download/ecomap.nq.gz")
    assert dump.status_code == 200
    iris = {
        term.value.split("#")[0]
        for quad in ox.parse(gzip.decompress(dump.content), format=ox.RdfFormat.N_QUADS)
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name)
        if isinstance(term, ox.NamedNode) and term.value.startswith(BASE + "/")
    }
    assert len(iris) > 300 and {f"{BASE}/def/shapes", f"{BASE}/def/ecosystem/version/0.1.0"} <= iris
    with web.Client(base_url=server.url, follow_redirects=True, timeout=30) as client:

        def status(iri: str) -> tuple[str, int]:
            answer = client.get(iri[len(BASE) :], headers={"Accept": "text/turtle"})
            return iri, 0 if answer.status_code == 200 and not answer.content else answer.status_code

        # Several at once (the grown map publishes thousands): one after another, this test took 37 s of the pass.
        with ThreadPoolExecutor(max_workers=4) as pool:
            failed = {iri: code for iri, code in pool.map(status, sorted(iris)) if code not in (200, 410)}
        for path in ("/def/shapes", "/def/reused-terms", "/def/ecosystem/version/0.1.0"):
            page = client.get(path, headers={"Accept": "text/html"})
            assert page.status_code == 200 and "<html" in page.text, path
    assert failed == {}
    version = web.get(server.url + "/def/ecosystem/version/0.1.0", headers={"Accept": "text/turtle"})
    assert version.status_code == 303 and version.headers["location"] == "/def/ecosystem"
    shapes = rdflib.Graph().parse(data=web.get(server.url + "/def/shapes.ttl").text, format="turtle")
    assert any(True for _ in shapes.subjects(rdflib.RDF.type, rdflib.URIRef("http://www.w3.org/ns/shacl#NodeShape")))


def test_a_document_comes_as_trig_and_n_quads_with_its_record_s_statements_in_the_record_s_graph(server):
    """A document could not be had as TriG or N-Quads (issue 21). Its record's statements are in the record's graph,
    what comes from elsewhere (the names of what it links to, the document's own statements) in the default graph;
    together, the same statements as the Turtle document."""
    turtle = rdflib.Graph().parse(
        data=web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"}).text, format="turtle"
    )
    record = rdflib.URIRef(f"{BASE}/data/organisation/odi")
    for accept, suffix, parse_as in (("application/trig", ".trig", "trig"), ("application/n-quads", ".nq", "nquads")):
        for answer in (
            web.get(server.url + "/doc/organisation/odi", headers={"Accept": accept}),
            web.get(server.url + "/doc/organisation/odi" + suffix),
        ):
            assert answer.status_code == 200 and answer.headers["content-type"].startswith(accept), accept
            dataset = rdflib.Dataset()
            dataset.parse(data=answer.text, format=parse_as)
            in_record = dataset.graph(record)
            odi = rdflib.URIRef(f"{BASE}/id/organisation/odi")
            name = rdflib.Literal("Open Data Institute", lang="en")
            assert (odi, rdflib.namespace.SKOS.prefLabel, name) in in_record, accept
            everything = {(s, p, o) for s, p, o, _ in dataset.quads()}
            assert len(everything) == len(turtle) and len(in_record) < len(everything), accept
