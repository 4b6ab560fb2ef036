"""Crash safety of approval, which spans the staging and public stores: killed (kill -9) between its updates,
at the failpoints in ``api.services.approval``, it is completed later, never left approved in one store and pending in
the other."""

from __future__ import annotations

import contextlib
import gzip
import itertools
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import anyio
import httpx
import pyoxigraph as ox
import pytest
import web
from conftest import (
    BASE,
    SAME_OVER_EITHER,
    Server,
    crash_store,
    embedded_only,
    one_pass,
    remote_oxigraph,
    serve,
    start_app,
    start_server,
    stop_server,
    store_pids,
    store_server_pid,
)
from helpers import NEW_ORGANISATION, ask, bearer, client_at, logged, open_embedded, status_of, submit

from graph.rdf.query_text import prologue
from graph.serving import RESTART, RESTARTED, Supervision
from graph.settings import Endpoint
from graph.store.interface import StoreError
from graph.store.protocol import ProtocolStore, QueryStoppedError

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


# The wait for an answer after a worker was killed: a connection the kernel gives the dead worker's socket waits for the
# worker that replaces it (api/listening.py), seconds on a loaded machine (a CI run timed out at httpx's 5 s).
AFTER_A_KILL = 60


def approve_until_killed(server: Server, folder: Path, failpoint: str, body: str | None = None) -> str:
    """Submit a new organisation (or ``body``) and approve it with the failpoint armed: the worker dies mid-request."""
    token = moderator_token(server)
    sent = submit(server, body or NEW_ORGANISATION.format(number="01234567"), accept_terms="true")
    assert sent.status_code == 201, sent.text
    armed = arm(folder, failpoint)
    with pytest.raises(httpx.TransportError):
        web.post(server.url + f"/submissions/{sent.json()['id']}/approve", headers=bearer(token), timeout=30)
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
    return str(status_of(server, submission)["status"])


def assert_approved_once(server: Server, submission: str) -> None:
    """Approved in the staging store, public at its URI, and its version kept exactly once."""
    assert status(server, submission) == "approved"
    turtle = {"Accept": "text/turtle"}
    assert web.get(server.url + ORGANISATION, headers=turtle, timeout=AFTER_A_KILL).status_code == 200
    as_json = {"Accept": "application/json"}
    versions = web.get(server.url + ORGANISATION + "/history", headers=as_json, timeout=AFTER_A_KILL).json()
    assert [v["submission"] for v in versions["versions"]] == [submission]


@one_pass("remote", SAME_OVER_EITHER)
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
    public store, and is the submission still pending under an approval's claim in the staging one? The stores are
    closed after: a command the test runs next in this process opens them again."""
    eco, record = BASE + "/def/ecosystem/", f"{BASE}/data/organisation/cymru-data-co-op"
    claimed = f"""ASK {{ GRAPH <{BASE}/data/metadata> {{ <{BASE}/id/submission/{submission}>
        <{eco}status> <{BASE}/def/record-status/pending> ; <{eco}approvalClaimedBy> ?moderator }} }}"""
    found = []
    for name, question in (("store", f"ASK {{ GRAPH <{record}> {{ ?s ?p ?o }} }}"), ("staging", claimed)):
        deadline = time.monotonic() + 30
        while True:
            try:
                store = open_embedded(folder / name)
                break
            except StoreError:  # a killed server's lock is not released yet
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.25)
        try:
            found.append(ask(store, question))
        finally:
            anyio.run(store.close)
    return found[0], found[1]


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
    server = start_app(tmp_path, ECOMAP_CLAIM_SECONDS="2", **FAST)
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
                    answers.append(web.post(url, headers=bearer(token), timeout=60).status_code)
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
        # The kill happened amid the approvals: a read it cut off is sent again once the server is back, an update it
        # cut off answers 503 (nothing was changed, or the approval is completed later); never a 500.
        assert eventually(lambda: pid not in store_pids(server))
        assert all(a in (200, 409, 503) for a in answers), answers

        def approved_in_the_end(submission: str) -> bool:
            """Approved, by the worker that completed an interrupted approval or by the moderator trying again
            (409 while an interrupted approval's claim is fresh, 503 while the store is away)."""
            try:
                if status(server, submission) == "approved":
                    return True
                url = server.url + f"/submissions/{submission}/approve"
                return web.post(url, headers=bearer(token), timeout=60).status_code == 200
            except (httpx.HTTPError, KeyError, ValueError):
                return False

        for submission in submissions:
            assert eventually(lambda submission=submission: approved_in_the_end(submission))
        for i, submission in enumerate(submissions):
            assert status(server, submission) == "approved"
            document = f"/doc/organisation/cymru-data-co-op-{i}"
            versions = web.get(server.url + document + "/history", headers={"Accept": "application/json"}).json()
            assert [v["submission"] for v in versions["versions"]] == [submission]
        assert_checked_clean(server)
    finally:
        stop_server(server)


@one_pass("remote", SAME_OVER_EITHER)
def test_a_worker_killed_while_writing_a_download_leaves_no_part_of_it(tmp_path):
    """Killed (kill -9) halfway through writing the N-Quads download, a worker leaves only a temporary file;
    the download is then made whole, the temporary file removed, and the stores are untouched."""
    server = start_server(tmp_path, workers=2, ECOMAP_FAILPOINTS=str(tmp_path / "failpoints"), **FAST)
    try:
        armed = arm(tmp_path, "download.part-written")
        with pytest.raises(httpx.TransportError):
            web.get(server.url + "/download/ecomap.nq.gz", timeout=60)
        assert not armed.exists(), "the failpoint did not fire"
        downloads = tmp_path / "cache" / "downloads"
        assert list(downloads.glob("v*/.ecomap.nq.gz.*")) and not list(downloads.glob("v*/ecomap.nq.gz"))

        answer = web.get(server.url + "/download/ecomap.nq.gz", timeout=60)
        assert answer.status_code == 200
        downloaded = set(ox.parse(gzip.decompress(answer.content), format=ox.RdfFormat.N_QUADS))
        exported = server.ecomap("export", "--format", "nq")
        assert downloaded == set(ox.parse(exported.stdout.encode(), format=ox.RdfFormat.N_QUADS))
        assert not list(downloads.glob("v*/.ecomap.nq.gz.*"))
        assert_checked_clean(server)
    finally:
        stop_server(server)


# Store servers that die with clients' queries in flight ---------------------------------------------------------


def in_flight(url: str, query: str) -> tuple[threading.Event, dict[str, httpx.Response], threading.Thread]:
    """Send a query from a thread; the event is set once its whole body has gone out."""
    sent, outcome = threading.Event(), {}

    def trace(event: str, info: dict[str, object]) -> None:
        if event == "http11.send_request_body.complete":
            sent.set()

    def run() -> None:
        with web.Client(timeout=120) as client:
            outcome["response"] = client.post(url + "/sparql", data={"query": query}, extensions={"trace": trace})

    thread = threading.Thread(target=run)
    thread.start()
    assert sent.wait(timeout=30)
    return sent, outcome, thread


SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"  # runs to the time limit


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def threads(pid: int) -> int:
    return sum(1 for _ in Path(f"/proc/{pid}/task").iterdir())


def connections(pid: int) -> set[str]:
    """The addresses an Oxigraph server's threads are named by: its listener's, and each connection's peer's (its other
    threads are the store's, and one for each query's own time limit, named "SPARQL evaluation timeout")."""
    names = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):  # a thread that ended since the listing
            names.add((task / "comm").read_text().strip())
    return {name for name in names if name[:1].isdigit()}


def working(pid: int) -> bool:
    """Wait until the process has spent a second of CPU from now: the store is at work on a query."""
    start, deadline = cpu_seconds(pid), time.monotonic() + 30
    while time.monotonic() < deadline:
        if cpu_seconds(pid) - start > 1:
            return True
        time.sleep(0.05)
    return False


def test_a_query_in_flight_when_the_store_crashed_is_held_back_and_its_sender_waits(tmp_path):
    """The store crashes with a client's query in flight (killed here, as a crash would): that text was "passed"
    before, and used to be sent again at once, as often as a client liked. Now it is refused, whoever sends it, and
    its sender's queries wait out the penalty; other clients' queries are answered."""
    server = start_app(tmp_path, ECOMAP_QUERY_TIMEOUT="20", ECOMAP_QUERIES_PER_MINUTE="0")
    try:
        public = store_pids(server)[0] if server.stores.processes else store_server_pid(server.folder, "store")
        _, outcome, thread = in_flight(server.url, SLOW)
        assert working(public)
        crash_store(server, "public")
        thread.join(timeout=60)
        assert outcome["response"].status_code == 503
        again = web.post(server.url + "/sparql", data={"query": "ASK { ?s ?p ?o }"}, timeout=60)
        assert again.status_code == 429 and "took the store down" in again.text
        assert 590 <= int(again.headers["retry-after"]) <= 600
        with client_at("127.0.0.2") as other:
            assert other.post(server.url + "/sparql", data={"query": "ASK { ?s ?p ?o }"}).status_code == 200
            held = other.post(server.url + "/sparql", data={"query": SLOW})
            assert held.status_code == 400 and "in flight when the store crashed" in held.text
            pages = other.get(server.url + "/doc/organisation/odi", headers={"Accept": "text/turtle"})
            assert pages.status_code == 200  # pages are not queries a client wrote: no penalty on them
    finally:
        stop_server(server)


ORDERED_CARTESIAN = "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?c ?f LIMIT 1"


HUNDRED = "VALUES ?x { " + " ".join(str(i) for i in range(100)) + " }"


@embedded_only
def test_a_query_past_the_time_limit_restarts_the_store_but_others_in_flight_are_answered_and_its_sender_waits(
    tmp_path,
):
    """A sort of nine million solutions keeps the store silent past the time limit: ecomap has its server restarted.
    Before, every query in flight died with it (503s to other clients), and the sender could do it again every 40 s.
    Now the queries the restart cut off are sent again once the server is back, and the sender waits out the
    penalty."""
    server = start_server(tmp_path, workers=2, ECOMAP_QUERY_TIMEOUT="5", ECOMAP_QUERIES_PER_MINUTE="0")
    answers: list[tuple[float, float, int]] = []
    done = threading.Event()

    def bystander(n: int) -> None:
        with client_at("127.0.0.2") as other:
            for i in itertools.count():
                if done.is_set():
                    return
                started = time.time()
                # Every statement a hundred times (two million rows on the seed of 2026-12-07): a tenth of a second
                # alone, well within the time limit even beside the sort on a loaded machine
                query = f"SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c {HUNDRED} }} # {n} {i}"
                status = other.post(server.url + "/sparql", data={"query": query}).status_code
                answers.append((started, time.time(), status))

    try:
        _, outcome, thread = in_flight(server.url, ORDERED_CARTESIAN)
        others = [threading.Thread(target=bystander, args=(n,)) for n in range(3)]
        for other in others:
            other.start()
        thread.join(timeout=120)
        note = server.store / RESTARTED
        assert eventually(note.exists, seconds=30)  # the supervisor restarts the server at its next look
        restarted = note.stat().st_mtime
        assert eventually(lambda: any(started > restarted + 1 for started, _, _ in answers), seconds=60)
        done.set()
        for other in others:
            other.join(timeout=120)
        stopped = outcome["response"]
        assert stopped.status_code == 503 and "time limit" in stopped.text
        assert [status for _, _, status in answers if status != 200] == []
        assert any(started < restarted < ended for started, ended, _ in answers), (
            "no query was in flight at the restart"
        )
        penalised = web.post(server.url + "/sparql", data={"query": "ASK { ?s ?p ?o }"})
        assert penalised.status_code == 429 and "took the store down" in penalised.text
        with client_at("127.0.0.2") as other:
            assert other.post(server.url + "/sparql", data={"query": ORDERED_CARTESIAN}).status_code == 400
    finally:
        stop_server(server)


@embedded_only
def test_a_query_past_its_time_limit_when_another_s_overrun_restarts_the_store_is_stopped_not_sent_again(tmp_path):
    """A restart cuts off every query in flight, and those cut off are sent again once the server is back. One already
    past its own time limit was sent again too, with a new limit: it could overrun in turn (a second restart, its
    sender convicted for a query ecomap had already let run its full time), or be cut off by the next restart, and
    end "not answering" (a CI run of test_abuse). Now a query keeps its one deadline: past it, it is stopped."""
    server = start_server(tmp_path, ECOMAP_QUERY_TIMEOUT="3", ECOMAP_QUERIES_PER_MINUTE="0")
    second: dict[str, httpx.Response] = {}

    def overrunning_too() -> None:
        with client_at("127.0.0.2") as other:
            query = ORDERED_CARTESIAN.replace("LIMIT 1", "LIMIT 2")
            second["response"] = other.post(server.url + "/sparql", data={"query": query}, timeout=120)

    try:
        _, first, thread = in_flight(server.url, ORDERED_CARTESIAN)
        # Past its limit (3 s) when the first's overrun (3 s + 3 s of grace) has the store restarted, with 2 s for that
        # restart before its own overrun
        time.sleep(2)
        other = threading.Thread(target=overrunning_too)
        other.start()
        thread.join(timeout=120)
        other.join(timeout=120)
        note = server.store / RESTARTED
        assert note.exists()
        restarted = note.stat().st_mtime
        assert first["response"].status_code == 503 and "time limit" in first["response"].text
        assert second["response"].status_code == 503 and "time limit" in second["response"].text
        time.sleep(8)  # a query sent again would overrun by now and have the store restarted again
        assert note.stat().st_mtime == restarted
        with client_at("127.0.0.2") as other_client:  # its query was stopped, not convicted
            assert other_client.post(server.url + "/sparql", data={"query": "ASK { ?s ?p ?o }"}).status_code == 200
        assert web.post(server.url + "/sparql", data={"query": "ASK { ?s ?p ?o }"}).status_code == 429
    finally:
        stop_server(server)


@one_pass("remote", SAME_OVER_EITHER)
def test_a_version_kept_by_an_approval_that_has_not_finished_is_not_served(tmp_path):
    """The staging store keeps a record's new version before the public record changes; a worker killed between the
    two left it served at /doc/…/history/{submission}.ttl for minutes, for a change not yet public."""
    server = start_server(
        tmp_path, workers=2, ECOMAP_FAILPOINTS=str(tmp_path / "failpoints"), ECOMAP_CLAIM_SECONDS="4", **FAST
    )
    try:
        submission = approve_until_killed(server, tmp_path, "approval.versions-kept")
        kept = f"{server.url}{ORGANISATION}/history/{submission}.ttl"
        assert status(server, submission) == "pending"
        assert web.get(kept, timeout=AFTER_A_KILL).status_code == 404
        assert eventually(lambda: status(server, submission) == "approved")
        served = web.get(kept, timeout=AFTER_A_KILL)
        assert served.status_code == 200 and "cymru-data-co-op" in served.text
    finally:
        stop_server(server)


@one_pass("remote", SAME_OVER_EITHER)
@pytest.mark.parametrize("failpoint", ["approval.versions-kept", "approval.public-changed"])
def test_an_approval_adding_to_another_record_killed_midway_adds_once_and_leaves_each_statement_where_it_belongs(
    tmp_path, failpoint
):
    """A submission that states something about the ODI changes the ODI's record: killed between the stores, its
    approval is completed later, the statement is in the ODI's record once (not in the new organisation's), and
    ``ecomap check`` finds every record holding only its own subjects."""
    server = start_server(
        tmp_path, workers=2, ECOMAP_FAILPOINTS=str(tmp_path / "failpoints"), ECOMAP_CLAIM_SECONDS="2", **FAST
    )
    try:
        body = NEW_ORGANISATION.format(number="01234567") + '<id/organisation/odi> skos:altLabel "ODI (alias)"@en .\n'
        submission = approve_until_killed(server, tmp_path, failpoint, body)
        assert eventually(lambda: status(server, submission) == "approved")
        where = 'SELECT ?g WHERE { GRAPH ?g { <id/organisation/odi> skos:altLabel "ODI (alias)"@en } }'
        rows = web.post(
            server.url + "/sparql",
            data={"query": where},
            headers={"Accept": "application/sparql-results+json"},
            timeout=AFTER_A_KILL,
        ).json()["results"]["bindings"]
        assert [row["g"]["value"] for row in rows] == [f"{BASE}/data/organisation/odi"]
        as_json = {"Accept": "application/json"}
        versions = web.get(server.url + "/doc/organisation/odi/history", headers=as_json, timeout=AFTER_A_KILL)
        assert [v["submission"] for v in versions.json()["versions"]][:1] == [submission]
        assert_checked_clean(server)
    finally:
        stop_server(server)


@one_pass("remote", SAME_OVER_EITHER)
def test_two_approvals_of_one_record_at_once_leave_public_the_version_its_history_holds_newest(tmp_path):
    """The first of two approvals changing one record pauses once its versions are kept, while the second is asked
    for in the other worker. Before, the second kept its version later and published first, and the first then
    published over it: the record's public copy was not the newest version its history keeps (seen under load in
    tests/test_concurrency.py). Decisions now take turns (api/turns.py), so the second waits for the first."""
    server = start_server(tmp_path, workers=2, ECOMAP_FAILPOINTS=str(tmp_path / "failpoints"), **FAST)
    try:
        moderator = bearer(moderator_token(server))
        body = NEW_ORGANISATION.format(number="01234567").replace("cymru-data-co-op", "turn-taking-trust")
        sent = [
            submit(server, body.replace('"Cymru Data Co-op"@en', f'"{name}"@en'), accept_terms="true").json()["id"]
            for name in ("Paused Trust", "Prompt Trust")
        ]
        armed = arm(tmp_path, "approval.versions-kept")
        armed.write_text("pause 2")
        answers: dict[str, httpx.Response] = {}

        def approve(submission: str) -> None:
            url = f"{server.url}/submissions/{submission}/approve"
            answers[submission] = web.post(url, headers=moderator, timeout=60)

        first = threading.Thread(target=approve, args=(sent[0],))
        first.start()
        deadline = time.monotonic() + 30
        while armed.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not armed.exists(), "the first approval never reached the failpoint"
        approve(sent[1])
        first.join()
        assert [answers[s].status_code for s in sent] == [200, 200], [answers[s].text for s in sent]

        history = web.get(
            server.url + "/doc/organisation/turn-taking-trust/history", headers={"Accept": "application/json"}
        )
        newest = history.json()["versions"][0]["submission"]
        page = web.get(server.url + "/doc/organisation/turn-taking-trust", headers={"Accept": "text/turtle"}).text
        public = "Paused Trust" if "Paused Trust" in page else "Prompt Trust"
        assert (newest, public) in {(sent[0], "Paused Trust"), (sent[1], "Prompt Trust")}, (newest, public, sent)
    finally:
        stop_server(server)


@embedded_only
def test_the_store_servers_run_with_two_memory_arenas(tmp_path):
    """Oxigraph's server answers each connection on a thread of its own, and glibc gives each thread that allocates an
    arena that keeps what it freed: behind the web workers' pooled connections the public store held 1.5 times the
    memory of the same server with few clients (bench/README.md). ecomap starts its store servers with two arenas."""
    server = start_server(tmp_path)
    try:
        for store in ("store", "staging"):
            environment = Path(f"/proc/{store_server_pid(server.folder, store)}/environ").read_bytes().split(b"\0")
            assert b"MALLOC_ARENA_MAX=2" in environment, store
    finally:
        stop_server(server)


@embedded_only
def test_the_public_store_server_holds_no_thread_for_a_query_it_has_answered(tmp_path):
    """``oxigraph serve --timeout-s`` started a thread for every query that slept out the whole time limit: ordinary
    lookups at ~650 a second held ~15,000 threads after 25 s, and the server died (Linux allows a process 65,530 memory
    maps, four a thread) with every request in flight, its clients convicted of crashing it (bench/store_threads.py).
    ecomap keeps the time limit itself: a query answered leaves nothing behind in the store's server."""
    server = start_app(tmp_path, ECOMAP_QUERY_TIMEOUT="30", ECOMAP_QUERIES_PER_MINUTE="0")
    try:
        store = store_server_pid(server.folder, "store")
        before = threads(store)
        with httpx.Client(base_url=server.url, timeout=30) as client:
            for n in range(300):
                lookup = f"SELECT ?p ?o WHERE {{ <id/organisation/odi> ?p ?o }} # lookup {n}"
                assert client.post("/sparql", data={"query": lookup, "format": "json"}).status_code == 200
        after = threads(store)
        assert after < before + 30, f"the store's server went from {before} to {after} threads over 300 queries"
    finally:
        stop_server(server)


def store_with_idle_limit(folder: Path, seconds: int) -> tuple[ProtocolStore, subprocess.Popen[bytes]]:
    """A plain Oxigraph server whose ``--timeout-s`` (its queries' time limit, and how long it keeps a connection that
    waits for a request) is ``seconds``, and ecomap's client of it."""
    query_url, process = remote_oxigraph(folder, union=True, timeout_s=str(seconds))
    return ProtocolStore(Endpoint.oxigraph(query_url), BASE, prologue(BASE), 30), process


@one_pass("remote", "a plain Oxigraph server, reached without ecomap serve")
def test_a_connection_that_waited_past_the_store_s_idle_limit_is_not_used_again_by_a_worker_that_was_busy(tmp_path):
    """Oxigraph's server closes a kept-alive connection that has waited its idle limit for a request (with
    ``--timeout-s 2``, 2 s), writing a ``500`` unasked ("Resource temporarily unavailable") first. A worker whose event
    loop was busy meanwhile has not seen it: had it kept the connection in its pool (aiohttp keeps one 15 s), its next
    query went out on it and read that ``500`` as its answer (the remote pass's occasional 502s)."""
    store, process = store_with_idle_limit(tmp_path / "store", 2)

    async def two_queries() -> None:
        try:
            assert await store.ask("ASK {}") is True
            time.sleep(2.5)  # the loop busy, not anyio.sleep: the store's close is not seen until the next query
            assert await store.ask("ASK {}") is True
        finally:
            await store.close()

    try:
        anyio.run(two_queries)
    finally:
        process.terminate()
        process.wait(timeout=20)


@one_pass("remote", "a plain Oxigraph server, reached without ecomap serve")
def test_a_connection_whose_answer_ended_long_after_it_was_asked_is_closed_not_kept_for_the_next_query(tmp_path):
    """A store's idle limit counts from its own last write, ecomap's pool from when the answer's end reached the
    client, which for an answer read slowly (behind a slow client, or watched after its reader left) is long after:
    the end comes only as the reader makes room for it. So a connection whose answer ended more than
    ``POOLED_WITHIN_S`` after it was asked is closed, not kept: the next query, sent at once, goes on a new one."""
    store, process = store_with_idle_limit(tmp_path / "store", 30)
    rows = " ".join(f'<urn:x:{n}> <urn:x:label> "a label long enough to fill a row {n}" .' for n in range(1000))
    # Far more than aiohttp reads ahead of its reader (128 KiB): the end comes only as the reader makes room for it.
    large = "SELECT * WHERE { ?s ?p ?o . ?t ?p ?u } LIMIT 50000"
    seen: dict[str, set[str]] = {}

    async def exchange() -> None:
        try:
            await store.update(f"INSERT DATA {{ {rows} }}")
            await store.close()  # the large answer on a connection of its own
            answer = await store.answer(large, "text/csv")
            seen["slow"] = connections(process.pid) - listening
            assert answer.rest is not None, "the answer fitted in its head: it must stream for this test"
            await anyio.sleep(1.5)
            assert len(await answer.read()) > 50000 * 100
            assert await store.ask("ASK { ?s ?p ?o }") is True  # at once: a connection kept would be used again
            seen["next"] = connections(process.pid) - listening
        finally:
            await store.close()

    try:
        assert eventually(lambda: len(connections(process.pid)) == 1, seconds=10), "the store's start left a connection"
        listening = connections(process.pid)
        anyio.run(exchange)
        assert len(seen["slow"]) == 1, f"not one connection for the large answer: {seen}"
        assert seen["next"] - seen["slow"], f"the next query went on the slow answer's connection: {seen}"
        assert eventually(lambda: not connections(process.pid) & seen["slow"], seconds=5), "its connection stayed open"
    finally:
        process.terminate()
        process.wait(timeout=20)


@one_pass("remote", "a plain Oxigraph server, reached without ecomap serve")
@pytest.mark.parametrize(
    ("restart", "overran_and_asked"),
    [
        ("none", (True, True)),
        ("before it was sent", (True, True)),
        ("while it waited for a connection", (True, True)),
        ("after it was sent", (False, False)),
    ],
)
def test_a_query_that_overruns_after_a_restart_it_was_sent_before_asks_for_no_other_and_is_not_held_to_account(
    tmp_path, monkeypatch, restart, overran_and_asked
):
    """A restart cuts off every query sent before it, but not at once: the old server's exit can take seconds (the
    memory of a sort it frees, on a loaded machine), and meanwhile a second query on it could reach its own overrun and
    ask for a restart too, which stopped the new, innocent server and every query on it (a CI run of
    test_a_query_past_its_time_limit_when_another_s_overrun_restarts_the_store_is_stopped_not_sent_again). A query that
    overruns asks for a restart only if none has been made since it was sent; if one has, it is one of the queries
    that restart stopped, not one that overran (its sender is not held to account for it). One sent after a restart
    overruns on the new server: it asks for another, and counts; so does one that waited for a free connection while
    the restart was made (its moment is when it went out, not when it was asked for)."""
    folder = tmp_path / "store"
    query_url, process = remote_oxigraph(folder, union=True, timeout_s="600")
    store = ProtocolStore(Endpoint.oxigraph(query_url), BASE, prologue(BASE), 1, Supervision(folder))
    rows = " ".join(f"<urn:x:{n}> <urn:x:p> {n} ." for n in range(3000))

    if restart == "while it waited for a connection":
        connect = aiohttp.TCPConnector.connect

        async def restarted_meanwhile(self, *args, **kwargs):  # also called for a connection from the pool
            await anyio.sleep(0.05)  # the note's time, on the file system's coarser clock, after the query was asked
            (folder / RESTARTED).touch()
            await anyio.sleep(0.05)  # and before it is sent
            return await connect(self, *args, **kwargs)

    async def overrun() -> tuple[bool, bool]:
        async def restart_noted() -> None:
            await anyio.sleep(0.5)  # the query sent
            (folder / RESTARTED).touch()

        try:
            await store.update(f"INSERT DATA {{ {rows} }}")
            if restart == "before it was sent":
                (folder / RESTARTED).touch()
                await anyio.sleep(0.05)  # past the file system clock's tick
            if restart == "while it waited for a connection":
                monkeypatch.setattr(aiohttp.TCPConnector, "connect", restarted_meanwhile)
            async with anyio.create_task_group() as tasks:
                if restart == "after it was sent":
                    tasks.start_soon(restart_noted)
                with pytest.raises(QueryStoppedError) as stopped:
                    await store.answer(SLOW, "text/csv")  # silent, in constant memory, far past 1 s and the grace
            return stopped.value.overran, (folder / RESTART).exists()
        finally:
            await store.close()

    try:
        assert anyio.run(overrun) == overran_and_asked
    finally:
        process.kill()
        process.wait(timeout=20)


@embedded_only
def test_an_answer_still_coming_at_the_time_limit_is_cut_off_and_the_store_stops_working_on_it(tmp_path):
    """ecomap keeps the time limit, not Oxigraph: an answer still streaming at the limit (its reader paused past it, so
    that the row cap is far off) is cut off before its final chunk, and its connection to the store closed, on which
    Oxigraph stops the query at its next write: the thread it answered on ends, the store's CPU falls idle, and no
    restart is needed."""
    server = start_app(tmp_path, ECOMAP_QUERY_TIMEOUT="2", ECOMAP_QUERIES_PER_MINUTE="0")
    try:
        store = store_server_pid(server.folder, "store")
        query = {"query": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }"}
        headers = {"Accept": "text/csv", "Accept-Encoding": "identity"}
        started, received, streaming = time.monotonic(), 0, 0
        stream = web.stream("POST", server.url + "/sparql", data=query, headers=headers, timeout=60)
        with pytest.raises(httpx.RemoteProtocolError), stream as response:
            assert response.status_code == 200
            for chunk in response.iter_bytes():
                if not streaming:
                    streaming = threads(store)
                    time.sleep(3)  # past the limit, the store's answer held back by the reader
                received += len(chunk)
        assert time.monotonic() - started < 2 + 5, "the answer was not cut off at the time limit"
        assert received < 10 * 1024 * 1024, f"{received} bytes: the answer ran on towards the row cap"
        assert eventually(lambda: threads(store) < streaming, seconds=10), "the store kept a thread on the query"
        idle_from = cpu_seconds(store)
        time.sleep(1)
        assert cpu_seconds(store) - idle_from < 0.3, "the store went on working on the query"
        assert store_server_pid(server.folder, "store") == store
    finally:
        stop_server(server)


def silent_after_streaming(server: Server) -> str:
    """A query whose answer streams megabytes, then leaves the store silent for hours: every statement, in the order
    the store reads them, until the last subject, for which a filter looks for three statements that no three give.
    (A union of the two parts is not enough: Oxigraph evaluates it in either order, from one server process to the
    next.)"""

    def row(query: str) -> str:
        return web.post(server.url + "/sparql", data={"query": query, "format": "csv"}).text.split()[-1]

    count = int(row("SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c }"))
    last = row(f"SELECT ?a WHERE {{ ?a ?b ?c }} OFFSET {count - 1} LIMIT 1")
    return (
        f"SELECT * WHERE {{ ?a ?b ?c FILTER(?a != <{last}> || EXISTS {{ ?d ?e ?f . ?h ?i ?j . ?k ?l ?m "
        "FILTER(STRLEN(STR(?f)) + STRLEN(STR(?m)) < 0) }) }"
    )


# How each reader of silent_after_streaming() leaves it: the server's time limit and row cap, and the error it sees.
READERS = {
    "reads-on": ({"ECOMAP_QUERY_TIMEOUT": "2"}, httpx.RemoteProtocolError),  # cut off by the time limit
    "goes-away": ({"ECOMAP_QUERY_TIMEOUT": "5"}, httpx.ReadTimeout),  # leaves after a second of silence
    "cut-at-the-cap": ({"ECOMAP_QUERY_TIMEOUT": "2", "ECOMAP_RESULT_CAP_ROWS": "2000"}, httpx.RemoteProtocolError),
}


@embedded_only
@pytest.mark.parametrize("reader", READERS)
def test_an_answer_whose_store_falls_silent_past_the_time_limit_restarts_it_and_its_sender_waits(tmp_path, reader):
    """An answer that has streamed, then falls silent: the store is at work with nothing to write, and only a restart
    stops it. Whether its reader waits on (the answer is cut off at the limit), goes away in the silence, or is cut off
    at the row cap with megabytes written ahead into the connection's buffers, the store's server is restarted past
    the limit and the grace, and the sender waits out the penalty. Before, the first was restarted for free, and the
    others left the store at work for good (the buffered bytes were taken for a store still writing)."""
    settings, error = READERS[reader]
    server = start_app(tmp_path, ECOMAP_QUERIES_PER_MINUTE="0", **settings)
    try:
        store = store_server_pid(server.folder, "store")
        form = {"query": silent_after_streaming(server), "format": "csv"}
        timeout = httpx.Timeout(60, read=1) if reader == "goes-away" else 60
        started, received = time.monotonic(), 0
        stream = web.stream(
            "POST", server.url + "/sparql", data=form, headers={"X-Request-Id": reader}, timeout=timeout
        )
        with pytest.raises(error), stream as response:
            assert response.status_code == 200
            for chunk in response.iter_bytes():
                received += len(chunk)
        assert received > 0
        if reader == "goes-away":
            assert time.monotonic() - started < 5, "the reader did not leave before the time limit"
        assert eventually(lambda: (server.store / RESTARTED).exists(), seconds=30)
        assert eventually(lambda: store not in (now := store_pids(server)) and len(now) == 2, seconds=30)
        penalised = web.post(server.url + "/sparql", data={"query": "ASK { ?s ?p ?o }"})
        assert penalised.status_code == 429 and "took the store down" in penalised.text
        if reader == "reads-on":  # the cut and its reason in the request's log line, not a stack trace
            assert "time limit" in logged(server, reader)[reader]["cut"]
            assert "Traceback" not in (server.folder / "server.log").read_text()
    finally:
        stop_server(server)
