"""Crash safety of approval, which spans the staging and public stores: killed (kill -9) between its updates,
at the failpoints in ``api.approval``, it is completed later, never left approved in one store and pending in
the other."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pyoxigraph as ox
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
    server = start_server(
        tmp_path, workers=2, ECOMAP_FAILPOINTS=str(tmp_path / "failpoints"), ECOMAP_CLAIM_SECONDS="2", **FAST
    )
    try:
        submission = approve_until_killed(server, tmp_path, failpoint)
        assert eventually(lambda: status(server, submission) == "approved")
        assert_approved_once(server, submission)
        assert_checked_clean(server)
    finally:
        stop_server(server)


def assert_checked_clean(server: Server) -> None:
    """``ecomap check``, run as an operator would while the service runs, finds both stores whole and agreeing."""
    checked = server.ecomap("check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Clean" in checked.stdout


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
    found = server.ecomap("check")
    assert found.returncode == 1 and "an approval stopped midway" in found.stdout, found.stdout + found.stderr

    restarted = serve(tmp_path, server.stores, ECOMAP_CLAIM_SECONDS="1", **FAST)
    try:
        assert eventually(lambda: status(restarted, submission) == "approved")
        assert_approved_once(restarted, submission)
        assert_checked_clean(restarted)
    finally:
        stop_server(restarted)


def organisation(i: int) -> str:
    """A new organisation of its own, with its activity and relationship, for the i-th submission."""
    return NEW_ORGANISATION.replace("cymru-data-co-op", f"cymru-data-co-op-{i}").format(number=f"{i:08d}")


@embedded_only
@pytest.mark.parametrize("killed", ["store", "staging"])
def test_a_store_server_killed_during_approvals_leaves_each_submission_approved_once_or_pending(tmp_path, killed):
    """The public or staging store server is killed with ``kill -9`` while a moderator approves one submission
    after another; ``ecomap serve`` restarts it. Every approval the kill interrupted is completed, or was refused
    before it began and is still pending; none is left approved in one store and pending in the other."""
    server = start_server(tmp_path, ECOMAP_CLAIM_SECONDS="2", **FAST)
    try:
        token = moderator_token(server)
        submissions = []
        for i in range(4):
            sent = submit(server, organisation(i), accept_terms="true")
            assert sent.status_code == 201, sent.text
            submissions.append(sent.json()["id"])
        answers: list[int | str] = []

        def approve_each() -> None:
            for submission in submissions:
                try:
                    url = server.url + f"/submissions/{submission}/approve"
                    answers.append(httpx.post(url, headers=bearer(token), timeout=60).status_code)
                except httpx.TransportError as problem:
                    answers.append(type(problem).__name__)
                first_done.set()

        first_done = threading.Event()
        pid = store_server_pid(tmp_path, killed)
        moderator = threading.Thread(target=approve_each)
        moderator.start()
        assert first_done.wait(timeout=60)  # the first approval is done; the next is being sent
        os.kill(pid, signal.SIGKILL)
        moderator.join(timeout=120)
        assert answers[0] == 200 and len(answers) == 4, answers
        assert 503 in answers  # the kill interrupted an approval (or refused one before it began)
        assert all(a in (200, 409, 503) for a in answers), answers  # never a 500, whatever the kill interrupted

        def approved_in_the_end(submission: str) -> bool:
            """Approved, by the worker that completed an interrupted approval or by the moderator trying again
            (409 while an interrupted approval's claim is fresh, 503 while the store is away)."""
            try:
                if status(server, submission) == "approved":
                    return True
                url = server.url + f"/submissions/{submission}/approve"
                return httpx.post(url, headers=bearer(token), timeout=60).status_code == 200
            except (httpx.HTTPError, KeyError, ValueError):
                return False

        for submission in submissions:
            assert eventually(lambda submission=submission: approved_in_the_end(submission))
        for i, submission in enumerate(submissions):
            assert status(server, submission) == "approved"
            document = f"/doc/organisation/cymru-data-co-op-{i}"
            versions = httpx.get(server.url + document + "/history", headers={"Accept": "application/json"}).json()
            assert [v["submission"] for v in versions["versions"]] == [submission]
        assert_checked_clean(server)
    finally:
        stop_server(server)


def store_server_pid(folder: Path, store: str) -> int:
    """The Oxigraph server ``ecomap serve`` runs over one of the stores in ``folder``."""
    found = subprocess.run(
        ["pgrep", "-f", f"oxigraph serve --location {folder / store}"], capture_output=True, text=True, check=False
    )
    [pid] = [int(p) for p in found.stdout.split()]
    return pid


def test_a_worker_killed_while_writing_a_download_leaves_no_part_of_it(tmp_path):
    """Killed (kill -9) halfway through writing the N-Quads download, a worker leaves only a temporary file;
    the download is then made whole, the temporary file removed, and the stores are untouched."""
    server = start_server(tmp_path, workers=2, ECOMAP_FAILPOINTS=str(tmp_path / "failpoints"), **FAST)
    try:
        armed = arm(tmp_path, "download.part-written")
        with pytest.raises(httpx.TransportError):
            httpx.get(server.url + "/download/ecomap.nq.gz", timeout=60)
        assert not armed.exists(), "the failpoint did not fire"
        downloads = tmp_path / "cache" / "downloads"
        assert list(downloads.glob("v*/.ecomap.nq.gz.*")) and not list(downloads.glob("v*/ecomap.nq.gz"))

        answer = httpx.get(server.url + "/download/ecomap.nq.gz", timeout=60)
        assert answer.status_code == 200
        downloaded = set(ox.parse(gzip.decompress(answer.content), format=ox.RdfFormat.N_QUADS))
        exported = server.ecomap("export", "--format", "nq")
        assert downloaded == set(ox.parse(exported.stdout.encode(), format=ox.RdfFormat.N_QUADS))
        assert not list(downloads.glob("v*/.ecomap.nq.gz.*"))
        assert_checked_clean(server)
    finally:
        stop_server(server)
