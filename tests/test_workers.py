"""The web workers: forked from `ecomap serve` once it has imported the app, and stateless, so that two `ecomap
serve` processes over the same remote stores act as one service (what one approves, the other shows at once)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import rdflib
import web
from conftest import (
    BASE,
    SAME_OVER_EITHER,
    Stores,
    one_pass,
    remote_env,
    remote_store,
    serve,
    start_server,
    stop_server,
)
from helpers import NEW_ORGANISATION, bearer, submit

# About the web workers and processes; the first test starts remote stores of its own in either pass.
pytestmark = one_pass("remote", SAME_OVER_EITHER)


def test_an_approval_through_one_server_is_seen_through_another(tmp_path):
    public, public_process = remote_store(tmp_path / "public", union=True, timeout_s="30")
    staging, staging_process = remote_store(tmp_path / "staging", union=False, timeout_s="30")
    stores = Stores({**remote_env("ECOMAP_STORE", public), **remote_env("ECOMAP_STAGING_STORE", staging)}, [])
    folders = [tmp_path / "a", tmp_path / "b"]
    for folder in folders:
        folder.mkdir()
    try:
        first = serve(folders[0], stores, ECOMAP_SUBMISSIONS_PER_MINUTE="1000")
        second = serve(folders[1], stores)
        try:
            assert first.ecomap("init").returncode == 0
            token = first.ecomap("users", "add", "moira", "--role", "moderator").stdout.strip().splitlines()[-1]
            page = "/doc/organisation/cymru-data-co-op"
            assert web.get(second.url + page).status_code == 404
            sent = submit(first, NEW_ORGANISATION.format(number="01234567"), accept_terms="true").json()
            assert web.get(second.url + sent["status_url"]).json()["status"] == "pending"
            approved = web.post(second.url + f"/submissions/{sent['id']}/approve", headers=bearer(token))
            assert approved.status_code == 200, approved.text
            for server in (first, second):
                shown = web.get(server.url + page, headers={"Accept": "text/turtle"})
                assert shown.status_code == 200
                graph = rdflib.Graph().parse(data=shown.text, format="turtle")
                assert (rdflib.URIRef(f"{BASE}/id/organisation/cymru-data-co-op"), None, None) in graph
        finally:
            stop_server(first)
            stop_server(second)
    finally:
        for process in (public_process, staging_process):
            process.terminate()
            process.wait(timeout=20)


def children(pid: int) -> dict[int, str]:
    """The processes whose parent is ``pid``, with their command lines."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            if entry.name.isdigit() and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
        except (OSError, ValueError):
            continue
    return found


def web_workers(server) -> dict[int, str]:
    """The web workers of an ``ecomap serve``: its children but the Oxigraph servers."""
    return {pid: line for pid, line in children(server.process.pid).items() if "oxigraph" not in line}


def test_the_web_workers_are_forked_with_the_app_imported_and_a_dead_one_is_replaced(tmp_path):
    """A spawned worker imports the app again (about a second of CPU each); a forked one starts from the parent,
    which imported it once. A worker that dies is replaced the same way."""
    server = start_server(tmp_path, workers=2)
    try:
        parent = (Path("/proc") / str(server.process.pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        workers = web_workers(server)
        assert len(workers) == 2 and set(workers.values()) == {parent.strip()}, workers
        dead = next(iter(workers))
        os.kill(dead, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (dead in web_workers(server) or len(web_workers(server)) < 2):
            time.sleep(0.1)
        replaced = web_workers(server)
        assert dead not in replaced and len(replaced) == 2 and set(replaced.values()) == {parent.strip()}, replaced
        assert all(web.get(server.url + "/healthz").status_code == 200 for _ in range(10))
    finally:
        stop_server(server)
