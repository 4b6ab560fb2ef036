"""Stateless workers: two `ecomap serve` processes over the same remote stores act as one service. What one
approves, the other shows at once."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
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

from api.server import unserved_base

# About the web workers' processes, over remote stores the test starts itself in either pass.
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
    """The processes ``pid`` started, each with its command line."""
    found = {}
    for entry in Path("/proc").iterdir():
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if parent == pid:
                found[int(entry.name)] = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except (ValueError, OSError, IndexError):
            continue
    return found


def test_workers_are_forked_from_a_server_that_imported_the_app_and_one_killed_is_replaced_from_it(tmp_path):
    """Forked, a worker starts without importing the app again (bench/workers.py measures the difference)."""
    server = start_server(tmp_path, workers=2)
    try:
        assert server.process is not None
        fork_servers = fork_servers_of(server.process.pid)
        assert len(fork_servers) == 1
        [fork_server] = fork_servers
        assert "'api.app'" in children(server.process.pid)[fork_server]
        workers = set(children(fork_server))
        assert len(workers) == 2
        killed = min(workers)
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and (len(set(children(fork_server)) - {killed}) < 2):
            time.sleep(0.1)
        assert len(set(children(fork_server)) - {killed}) == 2
        for _ in range(8):
            assert web.get(server.url + "/sparql", params={"query": "ASK {}"}).status_code == 200
    finally:
        stop_server(server)


def test_workers_end_with_a_fork_server_that_is_killed_and_none_outlives_the_service(tmp_path):
    """uvicorn hears of its workers' exits from the fork server: killed, it left them running after ecomap serve
    stopped, reparented to init and still answering on the port."""
    server = start_server(tmp_path, workers=2)
    stopped = False
    try:
        assert server.process is not None
        [fork_server] = fork_servers_of(server.process.pid)
        first = set(children(fork_server))
        os.kill(fork_server, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in first):
            time.sleep(0.1)
        assert not any(Path(f"/proc/{pid}").exists() for pid in first), "a worker outlived its fork server"
        while time.monotonic() < deadline and len(workers_of(server.process.pid)) < 2:
            time.sleep(0.1)
        assert len(workers_of(server.process.pid)) == 2
        assert web.get(server.url + "/sparql", params={"query": "ASK {}"}).status_code == 200
        serving = workers_of(server.process.pid)
        stop_server(server)
        stopped = True
        time.sleep(1)
        assert not any(Path(f"/proc/{pid}").exists() for pid in serving)
    finally:
        if not stopped:
            stop_server(server)


def test_nothing_of_the_service_outlives_ecomap_serve_killed(tmp_path):
    """Killed (SIGKILL), ecomap serve left its fork server and both workers running, still listening on the port."""
    server = start_server(tmp_path, workers=2)
    try:
        assert server.process is not None
        [fork_server] = fork_servers_of(server.process.pid)
        left = {fork_server, *children(fork_server)}
        assert len(left) == 3
        server.process.kill()
        server.process.wait(timeout=10)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and any(Path(f"/proc/{pid}").exists() for pid in left):
            time.sleep(0.1)
        outlived = [pid for pid in left if Path(f"/proc/{pid}").exists()]
        for pid in outlived:  # not left running for the tests after this one
            os.kill(pid, signal.SIGKILL)
        assert not outlived, "outlived ecomap serve"
    finally:
        server.stores.stop()  # the remote stores the test started; the server itself is dead


def fork_servers_of(master: int) -> list[int]:
    return [pid for pid, line in children(master).items() if "multiprocessing.forkserver" in line]


def workers_of(master: int) -> set[int]:
    """The web workers of ``ecomap serve``: the children of its fork server."""
    return {pid for server in fork_servers_of(master) for pid in children(server)}


def answered_by(port: int, workers: set[int], connections: int) -> list[int]:
    """Which worker answered each of ``connections`` connections opened at once: the one holding the accepted socket
    (found through /proc/net/tcp, by the client's port)."""
    opened = [socket.create_connection(("127.0.0.1", port), timeout=10) for _ in range(connections)]
    try:
        for sock in opened:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        for sock in opened:
            assert sock.recv(4096).startswith(b"HTTP/1.1 200"), "a connection was not answered"
        clients = {sock.getsockname()[1] for sock in opened}
        inodes = {}
        for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
            fields = line.split()
            local, remote = (int(address.split(":")[1], 16) for address in fields[1:3])
            if local == port and remote in clients:
                inodes[f"socket:[{fields[9]}]"] = remote
        holders = []
        for pid in workers:
            for fd in Path(f"/proc/{pid}/fd").iterdir():
                with contextlib.suppress(OSError):
                    if str(fd.readlink()) in inodes:
                        holders.append(pid)
        return holders
    finally:
        for sock in opened:
            sock.close()


def test_connections_are_spread_over_the_workers_and_a_replacement_takes_its_predecessors_share(tmp_path):
    """On one shared socket, whichever worker woke first accepted every waiting connection: four kept-alive clients
    all went to one worker. Each worker now listens on a socket of its own on the port (SO_REUSEPORT)."""
    server = start_server(tmp_path, workers=2)
    try:
        assert server.process is not None
        port = int(server.url.rsplit(":", 1)[1])
        workers = workers_of(server.process.pid)
        holders = answered_by(port, workers, 16)
        assert len(holders) == 16 and set(holders) == workers, holders
        killed = min(workers)
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(workers_of(server.process.pid) - {killed}) < 2:
            time.sleep(0.1)
        replaced = workers_of(server.process.pid) - {killed}
        holders = answered_by(port, replaced, 32)
        assert len(holders) == 32 and set(holders) == replaced, "a socket left with no worker, or one idle"
    finally:
        stop_server(server)


def test_a_map_served_on_another_port_than_its_base_names_says_so_at_start(tmp_path):
    """`ecomap serve --port 8111` on a store whose base is http://127.0.0.1:8000 served pages whose every link led to
    port 8000, without a word (issue 21). A base elsewhere (a public name behind a proxy) is not second-guessed."""
    server = start_server(tmp_path)
    try:
        port = int(server.url.rsplit(":", 1)[1])
        log = (tmp_path / "server.log").read_text()
        assert f"the map's IRIs start with {BASE}, but it is served on port {port}" in log
        assert f"ecomap rebase {BASE} http://127.0.0.1:{port}" in log
    finally:
        stop_server(server)
    assert unserved_base("http://127.0.0.1:8000", "127.0.0.1", 8000) is None
    assert unserved_base("https://ecomap.example.org", "0.0.0.0", 8000) is None
    assert "port 80." in (unserved_base("http://localhost", "0.0.0.0", 8000) or "")
