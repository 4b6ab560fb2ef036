"""The SPARQL 1.1 Protocol at /sparql, against a real server, with real clients (SPARQLWrapper, rdflib, httpx)."""

from __future__ import annotations

import csv
import io
import threading
import time
from urllib.parse import urlencode

import httpx
import pytest
import rdflib
import web
from conftest import BASE, SAME_OVER_EITHER, embedded_only, one_pass, start_app, stop_server
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

# The protocol as the endpoint speaks it, the same over either pass: the tests about queries stopped at the time limit
# and many clients at once run in both, since a supervised store is restarted where a remote one is not.
protocol_only = one_pass("embedded", SAME_OVER_EITHER)

ODI_NAME = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?name WHERE { <http://127.0.0.1:8000/id/organisation/odi> skos:prefLabel ?name }"""
ODI_GRAPH = """PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
CONSTRUCT { ?o skos:prefLabel ?name } WHERE { ?o a <http://www.w3.org/ns/regorg#RegisteredOrganization> ; skos:prefLabel ?name }"""
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"


def wrapper(server, method="GET"):
    client = SPARQLWrapper(server.url + "/sparql")
    client.setMethod(method)
    return client


@pytest.mark.parametrize("method", ["GET", "POST"])
@protocol_only
def test_select_in_every_result_format_through_sparqlwrapper(server, method):
    client = wrapper(server, method)
    client.setQuery(ODI_NAME)
    client.setReturnFormat(JSON)
    assert client.queryAndConvert()["results"]["bindings"][0]["name"]["value"] == "Open Data Institute"
    client.setReturnFormat(XML)
    assert client.queryAndConvert().getElementsByTagName("literal")[0].firstChild.data == "Open Data Institute"
    client.setReturnFormat(CSV)
    assert list(csv.reader(io.StringIO(client.queryAndConvert().decode()))) == [["name"], ["Open Data Institute"]]
    client.setReturnFormat(TSV)
    assert client.queryAndConvert().decode().splitlines() == ["?name", '"Open Data Institute"@en']


@protocol_only
def test_ask(server):
    client = wrapper(server)
    client.setQuery("ASK { <http://127.0.0.1:8000/id/organisation/odi> ?p ?o }")
    client.setReturnFormat(JSON)
    assert client.queryAndConvert()["boolean"] is True


@pytest.mark.parametrize(
    ("fmt", "rdflib_format"), [(TURTLE, "turtle"), (JSONLD, "json-ld"), (RDFXML, "xml"), (N3, "turtle")]
)
@protocol_only
def test_construct_in_every_graph_format_parses_with_rdflib(server, fmt, rdflib_format):
    client = wrapper(server)
    client.setQuery(ODI_GRAPH)
    client.setReturnFormat(fmt)
    result = client.query().response.read()
    graph = rdflib.Graph().parse(data=result, format=rdflib_format)
    names = {str(o) for o in graph.objects()}
    assert "Open Data Institute" in names and "PricewaterhouseCoopers LLP" in names


@protocol_only
def test_n_triples_for_construct(server):
    response = web.get(server.url + "/sparql", params={"query": ODI_GRAPH}, headers={"Accept": "application/n-triples"})
    assert response.headers["content-type"].startswith("application/n-triples")
    assert len(rdflib.Graph().parse(data=response.text, format="nt")) >= 7


@protocol_only
def test_rdflib_reads_the_map_through_the_endpoint(server):
    graph = rdflib.Graph(SPARQLStore(server.url + "/sparql", returnFormat="json"))
    rows = list(graph.query(ODI_NAME))
    assert [str(row[0]) for row in rows] == ["Open Data Institute"]


@protocol_only
def test_the_three_ways_of_sending_a_query_agree(server):
    url = server.url + "/sparql"
    accept = {"Accept": "text/csv"}
    by_get = web.get(url, params={"query": ODI_NAME}, headers=accept)
    by_form = web.post(url, data={"query": ODI_NAME}, headers=accept)
    by_body = web.post(url, content=ODI_NAME.encode(), headers={**accept, "Content-Type": "application/sparql-query"})
    assert by_get.status_code == by_form.status_code == by_body.status_code == 200
    assert by_get.text == by_form.text == by_body.text


@protocol_only
def test_relative_iris_and_ecomap_prefixes_work_without_declarations(server):
    response = web.get(
        server.url + "/sparql",
        params={"query": "SELECT ?n WHERE { <id/organisation/odi> skos:prefLabel ?n }", "format": "csv"},
    )
    assert response.text.splitlines() == ["n", "Open Data Institute"]


@protocol_only
def test_default_graph_uri_and_named_graph_uri_narrow_the_dataset(server):
    ask = "ASK { <id/organisation/odi> skos:prefLabel ?name }"

    def answer(**graphs) -> bool:
        params = {"query": ask, **{k.replace("_", "-"): v for k, v in graphs.items()}}
        return web.get(
            server.url + "/sparql", params=params, headers={"Accept": "application/sparql-results+json"}
        ).json()["boolean"]

    assert answer() is True
    assert answer(default_graph_uri="http://127.0.0.1:8000/data/organisation/odi") is True
    assert answer(default_graph_uri="http://127.0.0.1:8000/data/organisation/dcms") is False
    named = "ASK { GRAPH ?g { <id/organisation/odi> skos:prefLabel ?name } }"
    params = {"query": named, "named-graph-uri": "http://127.0.0.1:8000/data/organisation/dcms"}
    assert (
        web.get(server.url + "/sparql", params=params, headers={"Accept": "application/sparql-results+json"}).json()[
            "boolean"
        ]
        is False
    )


@pytest.mark.parametrize(
    ("query", "graphs", "count"),
    [
        ("SELECT (COUNT(*) AS ?n) FROM <urn:nothing> WHERE { ?s ?p ?o }", {}, 0),
        ("SELECT (COUNT(*) AS ?n) FROM <data/organisation/odi> WHERE { ?s ?p ?o }", {}, "odi"),
        ("SELECT (COUNT(*) AS ?n) FROM NAMED <data/organisation/odi> WHERE { GRAPH ?g { ?s ?p ?o } }", {}, "odi"),
        ("SELECT (COUNT(*) AS ?n) FROM NAMED <urn:nothing> WHERE { GRAPH ?g { ?s ?p ?o } }", {}, 0),
        # The protocol's dataset wins over the query's own, as the SPARQL 1.1 Protocol says.
        (
            "SELECT (COUNT(*) AS ?n) FROM <urn:nothing> WHERE { ?s ?p ?o }",
            {"default-graph-uri": f"{BASE}/data/organisation/odi"},
            "odi",
        ),
    ],
    ids=["from-nothing", "from-a-record", "from-named", "from-named-nothing", "protocol-wins"],
)
@protocol_only
def test_a_querys_from_and_from_named_are_its_dataset(server, query, graphs, count):
    """Before, FROM was silently ignored: the count over FROM <urn:nothing> was the whole map's, 2,946."""
    odi = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{BASE}/data/organisation/odi> {{ ?s ?p ?o }} }}"

    def counted(text: str, **extra: str) -> int:
        answer = web.get(server.url + "/sparql", params={"query": text, **extra}, headers={"Accept": "text/csv"})
        assert answer.status_code == 200, answer.text
        return int(answer.text.splitlines()[1])

    expected = counted(odi) if count == "odi" else count
    assert expected == 0 or expected > 10
    assert counted(query, **graphs) == expected


@pytest.mark.parametrize(
    ("request_kwargs", "status", "says"),
    [
        ({"params": {"query": "SELECT ?x WHERE { ?x "}}, 400, "SPARQL syntax error at line 1, column"),
        ({"params": {"query": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}, 400, "read-only"),
        ({"method": "POST", "data": {"update": "INSERT DATA { <urn:a> <urn:b> <urn:c> }"}}, 400, "read-only"),
        (
            {"method": "POST", "content": b"INSERT DATA {}", "headers": {"Content-Type": "application/sparql-update"}},
            415,
            "read-only",
        ),
        (
            {"method": "POST", "content": b"SELECT * {}", "headers": {"Content-Type": "text/plain"}},
            415,
            "application/sparql-query",
        ),
        ({"method": "POST", "content": b"SELECT * {}"}, 400, "Content-Type"),
        ({"params": {"query": "SELECT * {}"}, "headers": {"Accept": "image/png"}}, 406, "Accept"),
        ({"params": {"query": "SELECT * {}", "format": "ttl"}}, 400, "does not suit"),
        (
            {"params": {"query": "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }"}},
            400,
            "SERVICE calls to http://example.org/sparql",
        ),
        (
            {"params": {"query": "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }"}},
            400,
            "SERVICE calls to a variable",
        ),
    ],
)
@protocol_only
def test_protocol_errors_get_the_status_and_a_message(server, request_kwargs, status, says):
    kwargs = dict(request_kwargs)
    method = kwargs.pop("method", "GET")
    response = web.request(method, server.url + "/sparql", **kwargs)
    assert response.status_code == status
    assert says in response.text and "Traceback" not in response.text


@protocol_only
def test_a_class_called_service_is_not_a_service_call(server):
    query = "PREFIX ex: <http://example.org/> SELECT * WHERE { ?s a ex:Service ; ex:SERVICE ?o }"
    assert web.get(server.url + "/sparql", params={"query": query}).status_code == 200


@protocol_only
def test_without_a_query_rdf_clients_get_a_service_description_and_people_a_form(server):
    described = web.get(server.url + "/sparql", headers={"Accept": "text/turtle"})
    graph = rdflib.Graph().parse(data=described.text, format="turtle")
    sd = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
    assert (None, sd.endpoint, rdflib.URIRef(BASE + "/sparql")) in graph
    page = web.get(server.url + "/sparql", headers={"Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html") and '<textarea id="query" name="query"' in page.text


@protocol_only
def test_cors_is_open_for_browser_clients_on_other_sites(server):
    response = web.get(
        server.url + "/sparql", params={"query": "ASK {}"}, headers={"Origin": "https://elsewhere.example"}
    )
    assert response.headers["access-control-allow-origin"] == "*"


def test_a_query_past_the_timeout_is_stopped_while_lookups_keep_being_answered(server):
    outcome: dict[str, object] = {}

    def slow() -> None:
        response = web.post(server.url + "/sparql", data={"query": SLOW}, timeout=60)
        outcome["slow"] = (response.status_code, response.text, time.monotonic())

    thread = threading.Thread(target=slow)
    started = time.monotonic()
    thread.start()
    lookups = []
    while thread.is_alive() and len(lookups) < 20:
        response = web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"}, timeout=10)
        lookups.append((response.status_code, time.monotonic()))
    thread.join(timeout=60)
    status, text, finished = outcome["slow"]
    assert status == 503 and "time limit" in text
    assert finished - started < 30
    answered_before = [at for code, at in lookups if code == 200 and at < finished]
    assert len(answered_before) >= 3, "lookups were not answered while the slow query ran"


def test_a_result_stopped_after_it_started_is_never_mistaken_for_a_complete_one(server):
    """Past the first 64 KiB the answer streams; a stop then cuts the connection before the final chunk."""
    query = {"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"}
    stream = web.stream("POST", server.url + "/sparql", data=query, headers={"Accept": "text/csv"}, timeout=60)
    with pytest.raises(httpx.RemoteProtocolError), stream as response:
        assert response.status_code == 200
        for _ in response.iter_bytes():
            pass


@pytest.mark.parametrize(
    "query",
    [
        # the query's own prefix declaration wins, as it does in the store
        "PREFIX schema: <http://127.0.0.1:9/> SELECT * WHERE { SERVICE schema:query { ?s ?p ?o } }",
        # an escaped SERVICE keyword or IRI is still a SERVICE
        "SELECT * WHERE { \\u0053ERVICE <http://127.0.0.1:9/query> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/\\u0071uery> { ?s ?p ?o } }",
    ],
)
@protocol_only
def test_service_calls_cannot_be_disguised(server, query):
    response = web.get(server.url + "/sparql", params={"query": query}, headers={"Accept": "text/csv"})
    assert response.status_code == 400
    assert "SERVICE calls" in response.text or "syntax error" in response.text


@embedded_only
def test_checking_a_query_never_runs_it(server):
    """A query that would take hours to evaluate is checked in no time, then stopped at the time limit."""
    values = "VALUES ?a { " + " ".join(str(i) for i in range(100)) + " } "
    query = (
        "SELECT (COUNT(*) AS ?n) WHERE { "
        + values
        + values.replace("?a", "?b")
        + values.replace("?a", "?c")
        + values.replace("?a", "?d")
        + values.replace("?a", "?e")
        + " }"
    )
    response = web.post(server.url + "/sparql", data={"query": query}, timeout=60)
    assert response.status_code == 503 and "time limit" in response.text
    assert web.get(server.url + "/healthz", timeout=5).status_code == 200
    # The store is silent on it past the limit: ecomap restarts the store's server, and it comes back
    deadline = time.monotonic() + 30
    while (server.store / "restart-requested").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.5)  # the watcher kills the server as it takes the request, then starts it again
    while time.monotonic() < deadline:
        lookup = web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"}, timeout=10)
        if lookup.status_code == 200 and web.get(server.url + "/readyz").status_code == 200:
            break
        time.sleep(0.2)
    assert lookup.status_code == 200


@pytest.mark.parametrize(
    ("query", "status"),
    [
        ("SELECT * WHERE { ?s ?p ?o LATERAL { SELECT * WHERE { ?s ?q ?r } LIMIT 1 } } # service", 400),
        ("SELECT * WHERE " + "{ " * 3000 + "?s ?p ?o" + " }" * 3000, 400),
        ("SELECT * WHERE { ?s ?p '" + "x" * 200_000 + "' }", 413),
    ],
)
@protocol_only
def test_queries_ecomap_cannot_check_are_refused_not_crashed(server, query, status):
    response = web.post(server.url + "/sparql", data={"query": query})
    assert response.status_code == status and "Traceback" not in response.text


@protocol_only
def test_an_oversized_post_body_is_refused(server):
    response = web.post(
        server.url + "/sparql",
        content=b"SELECT * {}" + b" " * 2_000_000,
        headers={"Content-Type": "application/sparql-query"},
    )
    assert response.status_code == 413


@protocol_only
def test_escapes_are_read_once_and_the_same_way_by_the_check_and_the_store(server):
    """rdflib and Oxigraph once read \\u escapes differently, which hid a SERVICE in what rdflib took for a
    string. Now the store gets the text that was checked, and both read the SERVICE as part of a string."""
    query = "SELECT ?y WHERE { BIND('\\u0027' AS ?x) SERVICE <http://127.0.0.1:9/query> { ?s ?p ?o } BIND('\\u0027' AS ?y) }"
    response = web.get(
        server.url + "/sparql", params={"query": query}, headers={"Accept": "application/sparql-results+json"}
    )
    assert response.status_code == 200
    [row] = response.json()["results"]["bindings"]
    assert "SERVICE <http://127.0.0.1:9/query>" in row["y"]["value"]


def test_many_clients_at_once_all_get_their_answers(tmp_path):
    """Queries checked at the same time in several threads are each read correctly (rdflib's parser is not
    thread-safe; it once turned valid queries into syntax errors under concurrent load). A server of its own, with
    the usual time limit: the shared one's two seconds were once reached by a lookup on a loaded machine."""
    from concurrent.futures import ThreadPoolExecutor

    server = start_app(tmp_path, ECOMAP_QUERIES_PER_MINUTE="0")

    def ask(i: int) -> int:
        query = f"SELECT ?p ?o WHERE {{ <id/organisation/odi> ?p ?o }} LIMIT {i % 7 + 1}"
        return web.post(
            server.url + "/sparql",
            data={"query": query},
            headers={"Accept": "application/sparql-results+json"},
            timeout=60,
        ).status_code

    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            statuses = list(pool.map(ask, range(200)))
    finally:
        stop_server(server)
    assert statuses.count(200) == len(statuses), {s: statuses.count(s) for s in set(statuses)}


@protocol_only
def test_sparqlwrapper_s_default_construct_gets_rdf_xml_and_its_json_gets_json_ld(server):
    """SPARQLWrapper asks for a CONSTRUCT with format=xml (and Accept application/rdf+xml) by default, and with
    format=json for its JSON return format: both were refused 400 ("format=xml does not suit this query")."""
    client = wrapper(server)
    client.setQuery(ODI_GRAPH)
    graph = client.queryAndConvert()  # the default: RDF/XML, parsed by SPARQLWrapper into an rdflib graph
    assert isinstance(graph, rdflib.Graph) and "Open Data Institute" in {str(o) for o in graph.objects()}
    client.setReturnFormat(JSON)
    answer = client.query()
    assert answer.response.headers["Content-Type"].startswith("application/ld+json")
    as_json_ld = rdflib.Graph().parse(data=answer.response.read(), format="json-ld")
    assert set(as_json_ld) == set(graph)


@protocol_only
def test_a_graph_query_asked_for_as_text_plain_or_application_json_gets_n_triples_or_json_ld(server):
    for accept, media_type, parse_as in (
        ("text/plain, */*;q=0.1", "application/n-triples", "nt"),
        ("application/json", "application/ld+json", "json-ld"),
        ("application/xml", "application/rdf+xml", "xml"),
    ):
        answer = web.post(server.url + "/sparql", data={"query": ODI_GRAPH}, headers={"Accept": accept})
        assert answer.status_code == 200 and answer.headers["content-type"].startswith(media_type), accept
        assert len(rdflib.Graph().parse(data=answer.content, format=parse_as)) > 0


@protocol_only
def test_two_queries_in_one_get_and_a_body_in_another_charset_than_utf_8_are_refused(server):
    """The SPARQL 1.1 Protocol: exactly one query; a query in UTF-8. Both were answered 200 before."""
    two = web.get(server.url + "/sparql", params=[("query", "ASK {}"), ("query", "SELECT * {}")])
    assert two.status_code == 400 and "exactly one query" in two.text
    for charset, status in (("UTF-16", 415), ("iso-8859-1", 415), ('"utf-8"', 200), ("UTF8", 200)):
        answer = web.post(
            server.url + "/sparql",
            content=b"ASK {}",
            headers={"Content-Type": f"application/sparql-query; charset={charset}", "Accept": "application/json"},
        )
        assert answer.status_code == status, (charset, answer.text)
    assert (
        "UTF-8"
        in web.post(
            server.url + "/sparql",
            content=b"ASK {}",
            headers={"Content-Type": "application/sparql-query;charset=UTF-16"},
        ).text
    )


@protocol_only
def test_a_format_given_twice_is_read_the_same_way_however_the_query_is_sent(server):
    """``format`` is not the protocol's: a client that repeats it (a link that appends one) gets the last, as a query
    string's later parameter overrides an earlier one, whether the query comes in the URL, a form or the body."""
    url = server.url + "/sparql"
    sent = [
        web.get(url, params=[("query", ODI_NAME), ("format", "json"), ("format", "csv")]),
        web.post(
            url,
            content=urlencode([("query", ODI_NAME), ("format", "json"), ("format", "csv")]),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        ),
        web.post(
            url + "?format=json&format=csv",
            content=ODI_NAME,
            headers={"Content-Type": "application/sparql-query"},
        ),
    ]
    for response in sent:
        assert response.status_code == 200, response.text
        assert response.headers["content-type"].startswith("text/csv"), response.request
