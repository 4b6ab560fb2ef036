"""Crash safety of approval, which spans the staging and public stores: killed (kill -9) between its updates,
at the failpoints in ``api.approval``, it is completed later, never left approved in one store and pending in
the other."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from conftest import BASE, Server, embedded_only, serve, start_server, stop_server
from helpers import NEW_ORGANISATION, bearer, submit

from graph.embedded import EmbeddedStore
from graph.store import StoreError

ORGANISATION = "/doc/organisation/cymru-data-co-op"
FAST = {"ECOMAP_SUBMISSIONS_PER_MINUTE": "1000"}


def arm(folder: Path, failpoint: str) -> Path:
    armed = folder / "failpoints" / failpoint
    armed.parent.mkdir(exist_ok=True)
    armed.touch()
    return armed


def moderator_token(server: Server) -> str:
    made = server.ecomap("users", "add", "moira", "--role", "moderator")
    assert made.returncode == 0, made.stderr
    return made.stdout.strip().splitlines()[-1]


def approve_until_killed(server: Server, folder: Path, failpoint: str) -> str:
    """Submit a new organisation and approve it with the failpoint armed: the worker dies mid-request."""
    token = moderator_token(server)
    sent = submit(server, NEW_ORGANISATION.format(number="01234567"), accept_terms="true")
    assert sent.status_code == 201, sent.text
    armed = arm(folder, failpoint)
    with pytest.raises(httpx.TransportError):
        httpx.post(server.url + f"/submissions/{sent.json()['id']}/approve", headers=bearer(token), timeout=30)
    assert not armed.exists(), "the failpoint did not fire"
    return sent.json()["id"]


def eventually(check: Callable[[], bool], seconds: float = 60) -> bool:
    """Wait for an event (not a time): True as soon as ``check`` passes, False if it never does."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.25)
    return False


def status(server: Server, submission: str) -> str:
    return httpx.get(server.url + f"/submissions/{submission}").json()["status"]


def assert_approved_once(server: Server, submission: str) -> None:
    """Approved in the staging store, public at its URI, and its version kept exactly once."""
    assert status(server, submission) == "approved"
    assert httpx.get(server.url + ORGANISATION, headers={"Accept": "text/turtle"}).status_code == 200
    versions = httpx.get(server.url + ORGANISATION + "/history", headers={"Accept": "application/json"}).json()
    assert [v["submission"] for v in versions["versions"]] == [submission]


@pytest.mark.parametrize("failpoint", ["approval.versions-kept", "approval.public-changed"])
def test_an_approval_whose_worker_is_killed_midway_is_completed_by_a_worker_that_lives(tmp_path, failpoint):
    server = start_server(tmp_path, ECOMAP_FAILPOINTS=str(tmp_path / "failpoints"), ECOMAP_CLAIM_SECONDS="2", **FAST)
    try:
        submission = approve_until_killed(server, tmp_path, failpoint)
        assert eventually(lambda: status(server, submission) == "approved")
        assert_approved_once(server, submission)
    finally:
        stop_server(server)


def state_on_disk(folder: Path, submission: str) -> tuple[bool, bool]:
    """Read both stores from disk once the killed store servers have let go of them: is the record in the
    public store, and is the submission still pending under an approval's claim in the staging one?"""
    eco, record = BASE + "/def/ecosystem/", f"{BASE}/data/organisation/cymru-data-co-op"
    deadline = time.monotonic() + 30
    while True:
        try:
            public, staging = EmbeddedStore.open(folder / "store", BASE), EmbeddedStore.open(folder / "staging", BASE)
            break
        except StoreError:  # a killed server's lock is not released yet
            if time.monotonic() > deadline:
                raise
            time.sleep(0.25)
    claimed = f"""ASK {{ GRAPH <{BASE}/data/metadata> {{ <{BASE}/id/submission/{submission}>
        <{eco}status> <{BASE}/def/record-status/pending> ; <{eco}approvalClaimedBy> ?moderator }} }}"""
    return bool(public.query(f"ASK {{ GRAPH <{record}> {{ ?s ?p ?o }} }}")), bool(staging.query(claimed))


@embedded_only
def test_a_service_killed_midway_through_an_approval_completes_it_when_restarted(tmp_path):
    failpoints = str(tmp_path / "failpoints")
    server = start_server(tmp_path, own_group=True, ECOMAP_FAILPOINTS=failpoints, ECOMAP_CLAIM_SECONDS="3600", **FAST)
    try:
        submission = approve_until_killed(server, tmp_path, "approval.public-changed")
    finally:
        os.killpg(server.process.pid, signal.SIGKILL)  # the whole service: ecomap serve, workers, store servers
        server.process.wait()

    assert state_on_disk(tmp_path, submission) == (True, True)  # public changed, staging still claimed

    restarted = serve(tmp_path, server.stores, ECOMAP_CLAIM_SECONDS="1", **FAST)
    try:
        assert eventually(lambda: status(restarted, submission) == "approved")
        assert_approved_once(restarted, submission)
    finally:
        stop_server(restarted)
