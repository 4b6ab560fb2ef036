"""What operators see: a JSON line per request with its id and time, and Prometheus metrics added up over the
workers, against a real server."""

from __future__ import annotations

import json
import re
import time

import pytest
import web
from conftest import SAME_OVER_EITHER, one_pass, start_server, stop_server
from helpers import NEW_ORGANISATION, client_at, logged, submit

from graph.store.protocol import PREFETCH

pytestmark = one_pass("embedded", SAME_OVER_EITHER)

SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i } # {}"


@pytest.fixture(scope="module")
def watched(tmp_path_factory):
    # The seed's pages are quick to make: all are kept (ECOMAP_KEEP_AFTER_MS), so that the hits can be counted.
    settings = {"ECOMAP_QUERY_TIMEOUT": "1", "ECOMAP_QUERIES_PER_MINUTE": "0", "ECOMAP_KEEP_AFTER_MS": "0"}
    server = start_server(tmp_path_factory.mktemp("watched"), workers=2, **settings)
    yield server
    stop_server(server)


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (0 if absent)."""
    for line in text.splitlines():
        sample = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if sample and sample[1] == name:
            found = dict(re.findall(r'(\w+)="([^"]*)"', sample[2] or ""))
            if all(found.get(key) == value for key, value in labels.items()):
                return float(sample[3])
    return 0.0


def test_each_request_is_one_json_line_with_its_id_and_time(watched):
    answer = web.get(watched.url + "/organisations", params={"format": "json"}, headers={"X-Request-Id": "probe-42"})
    assert answer.headers["x-request-id"] == "probe-42"
    hostile = web.get(watched.url + "/", headers={"X-Request-Id": "a b\tc" + "x" * 100})
    made = hostile.headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made), "an id that is not plain is replaced"
    lines = logged(watched, "probe-42", made)
    probe = lines["probe-42"]
    assert probe["method"] == "GET" and probe["path"] == "/organisations" and probe["route"] == "/organisations"
    sent = int(answer.headers["content-length"])  # the bytes on the wire: compressed, as httpx accepts gzip
    assert probe["status"] == 200 and probe["ms"] >= 0 and probe["bytes"] == sent
    assert answer.headers["content-encoding"] == "gzip" and sent < len(answer.content)
    assert "format" not in json.dumps(probe), "query strings are not logged"
    assert lines[made]["route"] == "/"


def test_metrics_add_up_the_workers_and_count_timeouts_kept_answers_and_submissions(watched):
    before = web.get(watched.url + "/metrics").text
    for _ in range(6):
        assert web.get(watched.url + "/doc/organisation/odi").status_code == 200
    stopped = web.post(watched.url + "/sparql", data={"query": SLOW}, timeout=60)
    assert stopped.status_code == 503
    sent = submit(watched, NEW_ORGANISATION.format(number="01234567"), accept_terms="true")
    assert sent.status_code == 201
    after = web.get(watched.url + "/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    route = {"route": "/doc/…", "method": "GET", "status": "200"}
    assert metric(after.text, "ecomap_requests_total", **route) - metric(before, "ecomap_requests_total", **route) == 6
    assert metric(after.text, "ecomap_request_seconds_count", route="/doc/…") >= 6
    # The page is made once for the data version, then kept: the later requests are hits, whichever worker answers.
    hits = metric(after.text, "ecomap_answer_cache_total", result="hit") - metric(
        before, "ecomap_answer_cache_total", result="hit"
    )
    assert hits >= 4
    assert metric(after.text, "ecomap_query_timeouts_total") - metric(before, "ecomap_query_timeouts_total") >= 1
    assert (
        metric(after.text, "ecomap_submissions", status="pending")
        == metric(before, "ecomap_submissions", status="pending") + 1
    )


# Methods HTTP/1.1's parser knows (llhttp's list) and the app serves none of.
UNSERVED = ["PUT", "DELETE", "PATCH", "TRACE", "COPY", "LOCK", "MKCOL", "MOVE", "PROPFIND", "PROPPATCH"]


def test_a_made_up_method_names_no_series_of_its_own(watched):
    """Before, each of 5,000 random methods became a label of its own (5,000 series, /metrics 568 KB). A method the
    HTTP parser does not know is refused before the app (400); one it knows that the app does not serve is counted
    as "other"."""
    for n in range(20):
        assert web.request(f"MADEUP{n}", watched.url + "/organisations").status_code == 400
    for method in UNSERVED * 5:
        assert web.request(method, watched.url + "/organisations").status_code == 405
    # A request is counted once its answer has gone, so the last may not be counted yet when /metrics is read
    # (by the other worker, say): read again for a few seconds.
    deadline = time.monotonic() + 5
    while True:
        metrics = web.get(watched.url + "/metrics").text
        counted = metric(metrics, "ecomap_requests_total", route="/organisations", method="other", status="405")
        if counted >= 50 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert "MADEUP" not in metrics and not any(f'method="{method}"' in metrics for method in UNSERVED)
    assert counted >= 50


def test_an_answer_its_client_left_part_way_is_logged_as_cut(watched):
    """A client that goes away while its answer streams (a browser tab closed on a long result) is no error of the
    app's, but the line must not read as an answer delivered whole."""
    query = {"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } # left part-way", "format": "csv"}
    headers = {"X-Request-Id": "left-part-way", "Accept-Encoding": "identity"}
    # From an address of its own: the other tests' queries that overran hold 127.0.0.1 back.
    with client_at("127.0.0.3") as client:
        with client.stream("POST", watched.url + "/sparql", data=query, headers=headers) as response:
            assert response.status_code == 200
            received = 0
            for chunk in response.iter_raw():
                received += len(chunk)
                if received > 256 * 1024:
                    break  # and close the connection, the answer unread
        # Well inside the 1 s limit on a loaded machine (5,000 rows, 1.8 MB, were once cut off at it), yet streamed
        whole = {"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } LIMIT 1000", "format": "csv"}
        read = client.post(watched.url + "/sparql", data=whole, headers={"X-Request-Id": "read-to-the-end"})
        assert read.status_code == 200 and len(read.content) > PREFETCH, "it must stream for this test"
    lines = logged(watched, "left-part-way", "read-to-the-end")
    assert lines["left-part-way"]["status"] == 200 and "went away" in lines["left-part-way"].get("cut", "")
    assert "cut" not in lines["read-to-the-end"], lines["read-to-the-end"]
