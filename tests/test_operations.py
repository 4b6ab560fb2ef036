"""ecomap serve runs and watches a store server for the public store and one for the staging store."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import httpx
import pytest
from conftest import start_server, stop_server


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


def test_a_store_server_that_dies_is_reported_and_restarted(own_server):
    server, folder = own_server
    os.kill(store_server_pid(folder, "staging"), signal.SIGKILL)
    seen = []
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


def test_init_creates_the_staging_store_under_the_same_base(own_server):
    _, folder = own_server
    assert (folder / "staging" / "current").is_symlink()
