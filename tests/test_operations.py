"""ecomap serve runs and watches a store server for the public store and one for the staging store."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx
import pytest
from conftest import BACKEND, embedded_only, remote_store, start_server, stop_server


@pytest.fixture(scope="module")
def own_server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("operations")
    running = start_server(folder)
    yield running, folder
    stop_server(running)


def store_server_pid(folder, store: str) -> int:
    found = subprocess.run(
        ["pgrep", "-f", f"oxigraph serve --location {folder / store}"], capture_output=True, text=True
    )
    pids = [int(p) for p in found.stdout.split()]
    assert len(pids) == 1, found.stdout
    return pids[0]


def test_health_and_readiness(own_server):
    server, _ = own_server
    assert httpx.get(server.url + "/healthz").json() == {"status": "ok"}
    assert httpx.get(server.url + "/readyz").json() == {"status": "ok", "stores": {"public": "ok", "staging": "ok"}}


@embedded_only
def test_a_store_server_that_dies_is_reported_and_restarted(own_server):
    server, folder = own_server
    os.kill(store_server_pid(folder, "staging"), signal.SIGKILL)
    assert_reported_then_recovered(server)


REMOTE = {  # which of a test server's remote stores: its process, setting, folder and union default graph
    "public": (0, "ECOMAP_STORE", "remote-public", True),
    "staging": (1, "ECOMAP_STAGING_STORE", "remote-staging", False),
}


def stop_remote(server, which: str) -> None:
    process = server.stores.processes[REMOTE[which][0]]
    process.kill()
    process.wait()


def restart_remote(server, folder, which: str) -> None:
    """The remote store back on the port ecomap was told, over the same data."""
    index, setting, location, union = REMOTE[which]
    port = int(server.stores.env[setting].removeprefix("sparql+").split(":")[2].split("/")[0])
    _, server.stores.processes[index] = remote_store(folder / location, union=union, timeout_s="30", port=port)


@pytest.mark.skipif(BACKEND == "embedded", reason="about a remote store, which ecomap does not supervise")
def test_a_remote_store_that_goes_away_is_reported_and_used_again_when_it_returns(own_server):
    server, folder = own_server
    stop_remote(server, "staging")
    first = httpx.get(server.url + "/readyz")
    assert first.status_code == 503 and first.headers["retry-after"] == "5"
    restart_remote(server, folder, "staging")
    assert_reported_then_recovered(server, killed_already=True)


@pytest.mark.skipif(BACKEND == "embedded", reason="about a remote store, which ecomap does not supervise")
def test_while_the_remote_public_store_is_away_reads_answer_503_and_work_again_when_it_returns(own_server):
    server, folder = own_server
    stop_remote(server, "public")
    reads = [
        httpx.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"}),
        httpx.post(server.url + "/sparql", data={"query": "ASK { ?s ?p ?o }"}),
        httpx.get(server.url + "/organisations"),
    ]
    for answer in reads:
        assert answer.status_code == 503 and answer.headers["retry-after"] == "5", answer.text
        assert "Traceback" not in answer.text
    restart_remote(server, folder, "public")
    back = httpx.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"})
    assert back.status_code == 200  # the same ecomap processes, not restarted
    assert httpx.post(server.url + "/sparql", data={"query": "ASK { ?s ?p ?o }"}).status_code == 200


def assert_reported_then_recovered(server, killed_already: bool = False) -> None:
    seen = [503] if killed_already else []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        response = httpx.get(server.url + "/readyz")
        seen.append(response.status_code)
        if response.status_code == 503:
            assert response.headers["retry-after"] == "5"
            assert response.json()["stores"] == {"public": "ok", "staging": "unavailable"}
        if seen[-1] == 200 and 503 in seen:
            break
        time.sleep(0.05)
    assert 503 in seen and seen[-1] == 200, seen
    assert httpx.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"}).status_code == 200


@embedded_only
def test_init_creates_the_staging_store_under_the_same_base(own_server):
    _, folder = own_server
    assert (folder / "staging" / "current").is_symlink()
