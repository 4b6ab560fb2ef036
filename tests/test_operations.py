"""ecomap serve runs and watches a store server for the public store and one for the staging store."""

from __future__ import annotations

import os
import signal
import time

import pytest
import web
from conftest import (
    BACKEND,
    embedded_only,
    restart_remote_store,
    start_app,
    stop_remote_store,
    stop_server,
    store_server_pid,
)


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("operations")
    running = start_app(folder)
    yield running, folder
    stop_server(running)


def test_health_and_readiness(own_server):
    server, _ = own_server
    assert web.get(server.url + "/healthz").json() == {"status": "ok"}
    assert web.get(server.url + "/readyz").json() == {"status": "ok", "stores": {"public": "ok", "staging": "ok"}}


@embedded_only
def test_a_store_server_that_dies_is_reported_and_restarted(own_server):
    server, folder = own_server
    os.kill(store_server_pid(folder, "staging"), signal.SIGKILL)
    assert_reported_then_recovered(server)


@pytest.mark.skipif(BACKEND == "embedded", reason="about a remote store, which ecomap does not supervise")
def test_a_remote_store_that_goes_away_is_reported_and_used_again_when_it_returns(own_server):
    server, _ = own_server
    stop_remote_store(server, "staging")
    first = web.get(server.url + "/readyz")
    assert first.status_code == 503 and first.headers["retry-after"] == "5"
    restart_remote_store(server, "staging")
    assert_reported_then_recovered(server, killed_already=True)


@pytest.mark.skipif(BACKEND == "embedded", reason="about a remote store, which ecomap does not supervise")
def test_while_the_remote_public_store_is_away_reads_answer_503_and_work_again_when_it_returns(own_server):
    server, _ = own_server
    stop_remote_store(server, "public")
    reads = [
        web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"}),
        web.post(server.url + "/sparql", data={"query": "ASK { ?s ?p ?o }"}),
        web.get(server.url + "/organisations"),
    ]
    for answer in reads:
        assert answer.status_code == 503 and answer.headers["retry-after"] == "5", answer.text
        assert "Traceback" not in answer.text
    # Each in the form its client asked for, or its route's own (api/errors.py).
    page = web.get(server.url + "/organisations", headers={"Accept": "text/html,*/*;q=0.8"})
    assert page.status_code == 503 and page.headers["content-type"].startswith("text/html")
    assert page.headers["retry-after"] == "5" and "<h1>Service Unavailable</h1>" in page.text
    details = web.get(server.url + "/leads", params={"format": "json"})
    assert details.status_code == 503 and details.headers["content-type"] == "application/problem+json"
    assert details.json()["status"] == 503 and details.headers["retry-after"] == "5"
    restart_remote_store(server, "public")
    back = web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"})
    assert back.status_code == 200  # the same ecomap processes, not restarted
    assert web.post(server.url + "/sparql", data={"query": "ASK { ?s ?p ?o }"}).status_code == 200


def assert_reported_then_recovered(server, killed_already: bool = False) -> None:
    seen = [503] if killed_already else []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = web.get(server.url + "/readyz")
        seen.append(response.status_code)
        if response.status_code == 503:
            assert response.headers["retry-after"] == "5"
            assert response.json()["stores"] == {"public": "ok", "staging": "unavailable"}
        if seen[-1] == 200 and 503 in seen:
            break
        time.sleep(0.05)
    assert 503 in seen and seen[-1] == 200, seen
    assert web.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"}).status_code == 200


@embedded_only
def test_init_creates_the_staging_store_under_the_same_base(own_server):
    _, folder = own_server
    assert (folder / "staging" / "current").is_symlink()
