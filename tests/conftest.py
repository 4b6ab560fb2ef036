"""Fixtures that use the real parts: the installed ``ecomap`` command, on-disk stores, the repository's files."""

from __future__ import annotations

import atexit
import functools
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import anyio
import httpx
import pytest
import uvicorn
import web
from click.testing import CliRunner
from helpers import open_embedded

from api.app import create_app
from api.observability import access_logger
from api.server import free_port, listening_socket, oxigraph_command, supervised_stores, web_config
from graph.cli.main import main as ecomap_command
from graph.contributions.validation import Validator
from graph.initialise import initialise
from graph.serving import RESTART
from graph.settings import DEFAULT_BASE_URI, Settings
from graph.store.embedded import EmbeddedStore

BASE = DEFAULT_BASE_URI
ECOMAP = Path(sys.executable).parent / "ecomap"

Run = Callable[..., subprocess.CompletedProcess[str]]


def ecomap_with(
    settings: dict[str, str], *args: str | bytes, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the ``ecomap`` command with these settings, its arguments, standard streams and exit code, in this process
    (click's runner) rather than a new one: each new interpreter spent 0.3 to 1 s of CPU importing ecomap before it
    began. An error the command does not handle leaves its traceback on standard error, as it would in a process of
    its own. The tests about the installed script itself, and about processes, run it with :func:`ecomap_process`."""
    argv = [os.fsdecode(arg) for arg in args]  # as Python decodes the arguments of a new process
    result = CliRunner().invoke(
        ecomap_command, argv, input=stdin, env={"ECOMAP_BASE_URI": BASE, **settings}, prog_name="ecomap"
    )
    stderr = result.stderr
    if result.exc_info is not None and not issubclass(result.exc_info[0], SystemExit):
        stderr += "".join(traceback.format_exception(*result.exc_info))
    return subprocess.CompletedProcess(["ecomap", *argv], result.exit_code, result.stdout, stderr)


def ecomap_process(settings: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run the installed console script with these settings in a process of its own, as a user would."""
    env = {**os.environ, "ECOMAP_BASE_URI": BASE, **settings}
    return subprocess.run([str(ECOMAP), *args], env=env, capture_output=True, text=True, timeout=300, check=False)


def run_ecomap(store: Path, *args: str, base: str = BASE, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script against ``store``."""
    return ecomap_with({"ECOMAP_STORE": str(store), "ECOMAP_BASE_URI": base}, *args, stdin=stdin)


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"


@pytest.fixture
def ecomap(store_dir: Path) -> Run:
    """The ``ecomap`` command bound to a fresh store folder of this test's own."""
    return lambda *args, **kwargs: run_ecomap(store_dir, *args, **kwargs)


@pytest.fixture(scope="session")
def seeded_store(tmp_path_factory: pytest.TempPathFactory) -> EmbeddedStore:
    """One initialised on-disk store shared by read-only tests."""
    store = open_embedded(tmp_path_factory.mktemp("seeded") / "store")
    anyio.run(initialise, store)
    return store


@pytest.fixture(scope="session")
def validator() -> Validator:
    return Validator.from_repository(BASE)


HOSTILE = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix org: <http://www.w3.org/ns/org#> .
<data/organisation/hostile-test-org> {
  <id/organisation/hostile-test-org> a org:Organization ;
      skos:prefLabel "<script>alert('owned')</script> Hostile & Sons"@en ;
      <http://www.w3.org/2000/01/rdf-schema#seeAlso> <javascript:alert(document.domain)> .
}
"""


# The backend the API tests run against: "embedded" (ecomap serve runs Oxigraph servers over store folders)
# or "oxigraph-server" (remote SPARQL 1.1 stores: Oxigraph servers a fixture starts, ecomap told their URLs).
BACKEND = os.environ.get("ECOMAP_TEST_BACKEND", "embedded")
# About the store folders ecomap serve supervises: run over the embedded backend only.
embedded_only = pytest.mark.embedded_only
# make test runs the suite in two passes side by side and names each in ECOMAP_TEST_PASS: "embedded" (the Oxigraph
# servers ecomap serve supervises) and "remote" (remote stores). In both, the app and the commands reach the stores
# through one client (graph.store.protocol) speaking to an Oxigraph server; what differs is the supervision (a server
# that overran or died is restarted) and where the stores come from. A test about neither gives the same result in
# both, so it runs in one of them only. Run alone (no ECOMAP_TEST_PASS, as make test-virtuoso runs), a pass runs all.
PASS = os.environ.get("ECOMAP_TEST_PASS")


def one_pass(where: str, why: str) -> pytest.MarkDecorator:
    """Under make test, run in the pass named ``where`` ("embedded" or "remote") only, because of ``why``."""
    return pytest.mark.one_pass(where, why)


# Tests that reach no store server.
one_pass_only = one_pass("embedded", "reaches no store server")
# Tests of the app that are about neither the supervision nor where the stores come from. Only a supervised store's
# client sends a query again when the connection was lost, so the tests that no load or race ends in a 5xx run in the
# remote pass, where nothing is retried.
SAME_OVER_EITHER = "the app over an Oxigraph server, reached the same way in both passes"


# Virtuoso's answers are read whole and rewritten (graph.store.dialect), never streamed: a cap or time limit reached
# part-way answers 413 or 503 before anything is sent, so the tests of a stream cut short do not apply.
VIRTUOSO_NOT_STREAMED = {
    "tests/test_sparql_endpoint.py::test_a_result_stopped_after_it_started_is_never_mistaken_for_a_complete_one",
    "tests/test_limits.py::test_a_graph_answer_past_its_byte_cap_is_cut_off_not_completed",
    "tests/test_observability.py::test_an_answer_its_client_left_part_way_is_logged_as_cut",
    *(
        f"tests/test_abuse.py::test_an_exploding_select_is_cut_at_the_row_cap_never_completed[{name}]"
        for name in (
            f"{f}-{q}" for f in ("csv", "xml") for q in ("cartesian-product", "path-or-its-negation", "negated-path")
        )
    ),
}
# Virtuoso 7.2.5 applies an update's operations one after another, visible to readers as they go (no snapshot
# isolation), so a reader can see an approval half applied; it refuses some exploding queries at once with an error
# (transitive paths: "37000 ... neither end of it is bound", a 502) where the other stores run them to the time
# limit (503); and a 4 MB literal takes it past the update time limit, and then crashes it (so that test has a
# Virtuoso of its own: test_abuse.hostile_alone). Found by the issue-8 tests; not worked around. Without isolation, two
# moderators' conditional claims on one submission can both succeed (seen once in a loaded run of 2026-12-06).
VIRTUOSO_NOT_ISOLATED_OR_REFUSES = {
    # Comunica sends the query as it writes it again, which Virtuoso refuses (37000); ecomap's own text it takes.
    "tests/test_saved_queries.py::test_each_saved_query_as_published_runs_unchanged_in_comunica_with_the_same_rows",
    "tests/test_concurrency.py::test_fifty_submitters_and_four_racing_moderators_lose_nothing_double_nothing_and_show_nothing_half_merged",
    "tests/test_fuzz.py::test_every_operation_answers_as_documented_without_5xx_or_a_stack_trace",
    "tests/test_abuse.py::test_a_literal_of_four_megabytes_within_the_size_limit_is_kept_whole",
    "tests/test_abuse.py::test_an_exploding_query_ends_at_the_time_limit_with_503_and_retry_after[path-joined-with-the-graph]",
    "tests/test_abuse.py::test_an_exploding_query_ends_at_the_time_limit_with_503_and_retry_after[twenty-nested-optionals]",
    "tests/test_abuse.py::test_while_an_exploding_query_runs_other_clients_are_answered_first_and_it_ends_with_503",
}
# Virtuoso 7.2.5 (Debian's package) gives wrong answers to standard queries that the other stores answer right:
# zero-or-more property paths joined with other patterns (``?where geo:sfWithin* <place>`` misses places
# reached in zero steps; ``a/rdfs:subClassOf*`` joined with the VALUES of a name search misses organisations), UNION branches that filter on a variable bound inside them, and booleans computed in
# a SELECT (it gives 0 or 1). ecomap does not rewrite its queries around one store's bugs; these tests are
# expected to fail there. Not strictly: whether Virtuoso goes wrong depends on the data the tests before have
# added (the heatmap tests pass in some orders), so an unexpected pass is reported (XPASS), not failed.
VIRTUOSO_WRONG_ANSWERS = {
    # These four passed there on the seed of 24 organisations by chance: on the grown seed (2026-12-07) the same
    # faults show (an organisation operating in Scotland itself missed by ``sfWithin*``'s zero steps; "ODI" by name).
    "tests/test_browser.py::test_the_network_map_draws_the_organisations_and_opens_one",
    "tests/test_linked_data.py::test_the_landing_page_shows_the_shape_of_the_map_with_links",
    "tests/test_lists.py::test_organisation_filters[params0-expected0]",
    "tests/test_lists.py::test_organisation_filters[params7-expected7]",
    "tests/test_browser.py::test_pages_work_under_a_content_security_policy_that_allows_only_the_apps_own_scripts",
    "tests/test_browser.py::test_from_the_landing_page_to_the_gap_heatmap_and_a_cell_s_organisations",
    "tests/test_lists.py::test_organisation_filters[params1-expected1]",
    "tests/test_lists.py::test_organisation_filters[params2-expected2]",
    "tests/test_lists.py::test_organisation_filters[params3-expected3]",
    "tests/test_lists.py::test_organisation_filters[params5-expected5]",
    "tests/test_lists.py::test_organisation_filters[params6-expected6]",
    "tests/test_lists.py::test_organisation_filters[params8-expected8]",
    "tests/test_lists.py::test_activity_filters",
    "tests/test_lists.py::test_the_html_list_offers_the_filters_and_counts",
    "tests/test_pictures_and_lookup.py::test_the_heatmap_downloads_as_svg_with_one_cell_per_concept_and_place",
    "tests/test_reconciliation.py::test_a_registry_number_is_a_match",
    "tests/test_saved_queries.py::test_organisations_by_priority_area_with_and_without_a_place",
    "tests/test_saved_queries.py::test_the_coverage_matrix_has_every_cell_zeros_included_and_what_was_collected_beside_it",
    "tests/test_saved_queries.py::test_the_collaboration_network_grows_hop_by_hop",
    "tests/test_saved_queries.py::test_the_other_questions_on_the_seed",
    "tests/test_saved_queries.py::test_the_statistics_queries_agree_with_the_seed_and_the_lists",
    "tests/test_saved_queries.py::test_support_for_each_concept_counts_activities_judgements_and_organisations",
    "tests/test_versions.py::test_an_approval_changes_the_version_and_no_earlier_answer_is_served_after_it",
    "tests/test_versions.py::test_reconciliation_sees_an_approval_at_once_through_every_worker",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "embedded_only: about the store folders ecomap serve supervises")
    config.addinivalue_line("markers", "one_pass(where, why): run in that pass of make test only (see conftest.PASS)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        _choose_pass(item)
        if BACKEND == "virtuoso":
            _mark_virtuoso(item)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Refuse a pass name that would skip tests unseen: a typo, or one that does not go with the backend."""
    if PASS is not None and (PASS not in ("embedded", "remote") or (PASS == "embedded") != (BACKEND == "embedded")):
        raise pytest.UsageError(f"ECOMAP_TEST_PASS={PASS} does not go with ECOMAP_TEST_BACKEND={BACKEND}")


def _choose_pass(item: pytest.Item) -> None:
    """Skip ``item`` where its marks keep it out of this pass; refuse marks that would keep it out of every pass."""
    passes = {mark.args[0] for mark in item.iter_markers("one_pass")}
    embedded = item.get_closest_marker("embedded_only") is not None
    if len(passes) > 1 or (embedded and passes - {"embedded"}) or not passes <= {"embedded", "remote"}:
        raise pytest.UsageError(f"{item.nodeid} would run in no pass of make test: {sorted(passes)}")
    if embedded and BACKEND != "embedded":
        item.add_marker(pytest.mark.skip(reason="about the store folders ecomap serve supervises"))
    if passes and PASS is not None and PASS not in passes:
        where, why = next(item.iter_markers("one_pass")).args
        item.add_marker(pytest.mark.skip(reason=f"{why}: run in the {where} pass"))


def _mark_virtuoso(item: pytest.Item) -> None:
    if item.nodeid in VIRTUOSO_NOT_STREAMED:
        item.add_marker(pytest.mark.skip(reason="Virtuoso's answers are rewritten whole, not streamed"))
    elif item.nodeid in VIRTUOSO_WRONG_ANSWERS:
        item.add_marker(pytest.mark.xfail(strict=False, reason="Virtuoso 7.2.5 answers this query wrongly"))
    elif item.nodeid in VIRTUOSO_NOT_ISOLATED_OR_REFUSES:
        item.add_marker(pytest.mark.xfail(strict=False, reason="Virtuoso 7.2.5: no snapshot isolation, or refuses"))


@dataclass
class Stores:
    """Where a test server's stores live: folders on disk, or remote SPARQL stores with their processes."""

    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
            process.wait(timeout=20)


def remote_oxigraph(
    location: Path, *, union: bool, timeout_s: str, port: int | None = None
) -> tuple[str, subprocess.Popen[bytes]]:
    """An Oxigraph server on a loopback port (a free one unless given), as a remote SPARQL store would be; its
    query endpoint."""

    def start(chosen: int) -> tuple[str, subprocess.Popen[bytes]]:
        command = [oxigraph_command(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{chosen}"]
        command += ["--timeout-s", timeout_s, *(["--union-default-graph"] if union else [])]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return wait_for_store(f"http://127.0.0.1:{chosen}/query", process, location)

    return on_a_free_port(start, port)


VIRTUOSO_INI = """[Database]
DatabaseFile = {folder}/virtuoso.db
ErrorLogFile = {folder}/virtuoso.log
LockFile = {folder}/virtuoso.lck
TransactionFile = {folder}/virtuoso.trx
xa_persistent_file = {folder}/virtuoso.pxa
[TempDatabase]
DatabaseFile = {folder}/virtuoso-temp.db
TransactionFile = {folder}/virtuoso-temp.trx
[Parameters]
ServerPort = 127.0.0.1:{sql_port}
DisableUnixSocket = 1
NumberOfBuffers = 10000
MaxDirtyBuffers = 6000
DirsAllowed = .
[HTTPServer]
ServerPort = 127.0.0.1:{port}
ServerRoot = {folder}
ServerThreads = 10
MaxKeepAlives = 10
[SPARQL]
ResultSetMaxRows = 1000000
MaxQueryCostEstimationTime = 0
MaxQueryExecutionTime = {timeout_s}
"""


def remote_virtuoso(
    location: Path, *, union: bool, timeout_s: str, port: int | None = None
) -> tuple[str, subprocess.Popen[bytes]]:
    """A Virtuoso open-source server (Debian's ``virtuoso-t``) over a database folder of its own; its query
    endpoint. Virtuoso's default graph is always the union of its graphs, so ``union`` is not a choice here."""
    location.mkdir(parents=True, exist_ok=True)

    def start(chosen: int) -> tuple[str, subprocess.Popen[bytes]]:
        ini = location / "virtuoso.ini"
        ini.write_text(VIRTUOSO_INI.format(folder=location, sql_port=free_port(), port=chosen, timeout_s=timeout_s))
        command = ["virtuoso-t", "+foreground", "+configfile", str(ini)]
        process = subprocess.Popen(command, cwd=location, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return wait_for_store(f"http://127.0.0.1:{chosen}/sparql", process, location)

    return on_a_free_port(start, port)


def on_a_free_port(
    start: Callable[[int], tuple[str, subprocess.Popen[bytes]]], port: int | None
) -> tuple[str, subprocess.Popen[bytes]]:
    """``start`` on ``port``, or on a free port. A port chosen free can be taken before the server binds it (by any
    connection's local port), and the server then exits ("Failed HTTP listen"): it is started once more on another
    port, unless the caller named the port."""
    if port is None:
        try:
            return start(free_port())
        except StoreExitedError:
            pass
    return start(port or free_port())


class StoreExitedError(RuntimeError):
    """The store server ended while it was starting."""


def wait_for_store(
    query_url: str, process: subprocess.Popen[bytes], location: Path
) -> tuple[str, subprocess.Popen[bytes]]:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StoreExitedError(f"the store for {location} exited with {process.returncode} as it started")
        try:
            if web.post(query_url, data={"query": "ASK {}"}, timeout=1).status_code == 200:
                return query_url, process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"the store did not start for {location}")


remote_store = remote_virtuoso if BACKEND == "virtuoso" else remote_oxigraph


def remote_env(name: str, query_url: str) -> dict[str, str]:
    """The settings that point ecomap at a remote store; Virtuoso's update and Graph Store endpoints need
    its administrator's credentials (a fresh database's own)."""
    if BACKEND != "virtuoso":
        return {name: "sparql+" + query_url}
    root = query_url.removesuffix("/sparql")
    return {
        name: "sparql+" + query_url,
        f"{name}_UPDATE": root + "/sparql-auth",
        f"{name}_GSP": root + "/sparql-graph-crud-auth",
        "ECOMAP_STORE_DIALECT": "virtuoso",
        "ECOMAP_STORE_USER": "dba",
        "ECOMAP_STORE_PASSWORD": "dba",
    }


def make_stores(folder: Path, timeout_s: str = "30") -> Stores:
    if BACKEND == "embedded":
        return Stores({"ECOMAP_STORE": str(folder / "store")}, [])
    public, public_process = remote_store(folder / "remote-public", union=True, timeout_s=timeout_s)
    staging, staging_process = remote_store(folder / "remote-staging", union=False, timeout_s=timeout_s)
    env = {**remote_env("ECOMAP_STORE", public), **remote_env("ECOMAP_STAGING_STORE", staging)}
    return Stores(env, [public_process, staging_process])


@dataclass
class Server:
    """A real ecomap web server on a free port, over Oxigraph servers or remote stores: ``ecomap serve`` (uvicorn
    workers in processes of their own), or the app served on a thread of this process (:func:`serve_here`)."""

    url: str
    folder: Path
    stores: Stores
    halt: Callable[[], None]  # stops the web server (not its stores)
    process: subprocess.Popen[str] | None = None  # ``ecomap serve``; None for the app served in this process

    @property
    def store(self) -> Path:
        """The public store's folder (embedded backend only)."""
        return self.folder / "store"

    def ecomap(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run the installed command against this server's stores, as an operator would."""
        return ecomap_with(self.stores.env, *args, stdin=stdin)


def initialise_stores(stores: Stores, folder: Path) -> None:
    """``ecomap init``, then ``ecomap load`` of one hostile record, as an operator would."""
    hostile = folder / "hostile.trig"
    hostile.write_text(HOSTILE, encoding="utf-8")
    for args in (["init"], ["load", str(hostile)]):
        done = ecomap_with(stores.env, *args)
        assert done.returncode == 0, done.stderr


@functools.cache
def pristine_stores() -> Path:
    """Stores initialised once a session, on disk, for the test servers to start from copies of: a copy takes a
    fraction of the time the two commands take. Virtuoso's database names its own folder, so it is not copied."""
    folder = Path(tempfile.mkdtemp(prefix="ecomap-pristine-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    stores = make_stores(folder)
    try:
        initialise_stores(stores, folder)
    finally:
        stores.stop()
    return folder


def fresh_stores(folder: Path, timeout_s: str) -> Stores:
    """Stores initialised with one hostile record, in ``folder``."""
    if BACKEND != "virtuoso":
        shutil.copytree(pristine_stores(), folder, symlinks=True, dirs_exist_ok=True)
    stores = make_stores(folder, timeout_s)
    if BACKEND == "virtuoso":
        initialise_stores(stores, folder)
    return stores


def start_server(folder: Path, *, workers: int = 1, own_group: bool = False, **settings: str) -> Server:
    """Serve :func:`fresh_stores` with ``ecomap serve``."""
    stores = fresh_stores(folder, settings.get("ECOMAP_QUERY_TIMEOUT", "30"))
    return serve(folder, stores, workers=workers, own_group=own_group, **settings)


def start_app(folder: Path, **settings: str) -> Server:
    """Serve :func:`fresh_stores` with :func:`serve_here`."""
    _servable_here(settings)
    return serve_here(folder, fresh_stores(folder, settings.get("ECOMAP_QUERY_TIMEOUT", "30")), **settings)


def serve(folder: Path, stores: Stores, *, workers: int = 1, own_group: bool = False, **settings: str) -> Server:
    """Serve the stores already made, with one web worker unless the test is about several (each costs the app's
    start-up); ``own_group`` puts the server and its children in a process group of their own, so that a test
    can kill them all at once."""
    port = free_port()
    env = {
        **os.environ,
        **stores.env,
        "ECOMAP_CACHE": str(folder / "cache"),
        "ECOMAP_BASE_URI": BASE,
        **settings,
    }
    log = (folder / "server.log").open("a")
    process = subprocess.Popen(
        [str(ECOMAP), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=own_group,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if web.get(url + "/", timeout=2).status_code == 200:
                return Server(url, folder, stores, partial(_interrupt, process), process)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("ecomap serve did not start:\n" + (folder / "server.log").read_text())


@contextmanager
def environment(settings: dict[str, str]) -> Iterator[None]:
    """``os.environ`` with ``settings`` added, for as long as the block runs."""
    before = {name: os.environ.get(name) for name in settings}
    os.environ.update(settings)
    try:
        yield
    finally:  # only these names change: other threads may read the environment meanwhile
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def logged_to(path: Path) -> Iterator[None]:
    """What the app logs (its JSON request log, the approvals it resumes, uvicorn's and asyncio's errors, tracebacks
    included) also written to ``path``, where ``ecomap serve``'s output goes, while the block runs. Not there: the
    supervisor's notes of store restarts, which it prints. The loggers belong to the process, so a file also gets the
    lines of any other app served here at the time."""
    handler = logging.FileHandler(path, encoding="utf-8")
    loggers = (
        access_logger(),
        logging.getLogger("ecomap"),
        logging.getLogger("uvicorn.error"),
        logging.getLogger("asyncio"),
    )
    for logger in loggers:
        logger.addHandler(handler)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        handler.close()


# Settings read from the process's environment while it serves (the deadlines of api/protocol.py, the failpoints of
# graph/failpoints.py), which an app served in this process cannot have of its own: start_server's tests set them.
PROCESS_WIDE = frozenset({"ECOMAP_HEADER_TIMEOUT", "ECOMAP_BODY_TIMEOUT", "ECOMAP_FAILPOINTS"})


def _servable_here(settings: dict[str, str]) -> None:
    if refused := PROCESS_WIDE & set(settings):
        raise ValueError(f"{sorted(refused)} would apply to the whole test process: use start_server")


def serve_here(folder: Path, stores: Stores, **settings: str) -> Server:
    """Serve the stores already made as ``ecomap serve`` does with one worker, Oxigraph servers included, but with the
    app on a uvicorn thread of this process: it starts in a fraction of the time, as nothing is imported again. For
    every test that is not about the web workers' processes."""
    _servable_here(settings)
    with environment({**stores.env, "ECOMAP_CACHE": str(folder / "cache"), "ECOMAP_BASE_URI": BASE, **settings}):
        configured = Settings.from_env()
    running = ExitStack()
    try:
        running.enter_context(logged_to(folder / "server.log"))
        served = running.enter_context(supervised_stores(configured))
        config = web_config(create_app(served), "127.0.0.1", free_port(), own_logging=False)
        config.timeout_graceful_shutdown = 10  # connections a test left open do not hold the shutdown
        listening = listening_socket(config)
        running.callback(listening.close)
        app_server = uvicorn.Server(config)
        thread = threading.Thread(target=app_server.run, kwargs={"sockets": [listening]}, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not app_server.started and thread.is_alive() and time.monotonic() < deadline:
            time.sleep(0.01)
        if not app_server.started:
            raise RuntimeError("the app did not start on its thread")
    except BaseException:
        running.close()
        raise

    def halt() -> None:
        app_server.should_exit = True
        thread.join(timeout=30)
        running.close()
        if thread.is_alive():
            raise RuntimeError("the app served in this process did not stop")

    return Server(f"http://127.0.0.1:{config.port}", folder, stores, halt)


def store_server_pid(folder: Path, store: str) -> int:
    """The Oxigraph server ``ecomap serve`` runs over one of the stores in ``folder`` ("store" or "staging")."""
    found = subprocess.run(
        ["pgrep", "-f", f"oxigraph serve --location {folder / store}/"], capture_output=True, text=True, check=False
    )
    [pid] = [int(p) for p in found.stdout.split()]
    return pid


REMOTE = {  # which of a test server's remote stores: its process, setting, folder and union default graph
    "public": (0, "ECOMAP_STORE", "remote-public", True),
    "staging": (1, "ECOMAP_STAGING_STORE", "remote-staging", False),
}


def stop_remote_store(server: Server, which: str) -> None:
    process = server.stores.processes[REMOTE[which][0]]
    process.kill()
    process.wait()


def restart_remote_store(server: Server, which: str) -> None:
    """The remote store back on the port ecomap was told, over the same data."""
    index, setting, location, union = REMOTE[which]
    port = int(server.stores.env[setting].removeprefix("sparql+").split(":")[2].split("/")[0])
    _, server.stores.processes[index] = remote_store(server.folder / location, union=union, timeout_s="30", port=port)


def crash_store(server: Server, which: str) -> None:
    """Kill (-9) the server of a test server's public or staging store, as a crash would: ``ecomap serve`` starts its
    own again; a remote one is started again here, on its port, over the same data."""
    if server.stores.processes:
        stop_remote_store(server, which)
        restart_remote_store(server, which)
    else:
        os.kill(store_server_pid(server.folder, "store" if which == "public" else "staging"), signal.SIGKILL)


def store_pids(server: Server) -> list[int]:
    """The processes serving a test server's stores: the Oxigraph servers ``ecomap serve`` runs over its folders, or
    the remote stores the fixtures started. A store that crashed and was started again has a new one."""
    if server.stores.processes:
        return [process.pid for process in server.stores.processes if process.poll() is None]
    found = subprocess.run(
        ["pgrep", "-f", f"oxigraph serve --location {server.folder}/"], capture_output=True, text=True, check=False
    )
    return sorted(int(pid) for pid in found.stdout.split())


def settled_store_pids(server: Server, seconds: float = 30) -> list[int]:
    """:func:`store_pids` once the stores have settled: a store that an earlier test's query made ecomap restart has
    its old process still exiting for a moment, and a new one starting; and a restart asked for is acted on at the
    supervisor's next look, up to a second later (one was seen to land after the stores had looked settled for half
    a second). Settled: no restart asked for, and the same processes across one and a half seconds."""
    deadline = time.monotonic() + seconds
    seen = store_pids(server)
    while time.monotonic() < deadline:
        time.sleep(1.5)
        now = store_pids(server)
        pending = any(server.folder.rglob(RESTART))
        if now == seen and not pending and web.get(server.url + "/healthz").status_code == 200:
            return now
        seen = now
    raise AssertionError(f"the stores did not settle in {seconds} s: {seen}")


def _interrupt(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


def stop_server(server: Server) -> None:
    server.halt()
    server.stores.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The map served over its stores as ``ecomap serve`` runs them (the app on a thread here), with a short query
    timeout and no fair-use limit in the way, nor the penalty for a query that overran (the tests send some on
    purpose; test_faults.py tests the penalty)."""
    running = start_app(
        tmp_path_factory.mktemp("served"),
        ECOMAP_QUERY_TIMEOUT="2",
        ECOMAP_QUERIES_PER_MINUTE="0",
        ECOMAP_PENALTY_SECONDS="0",
    )
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with small fair-use limits and small result caps, in two workers as ``ecomap serve --workers 2`` runs
    them: the allowances are the service's, shared by the workers (api/limits.FairUse)."""
    running = start_server(
        tmp_path_factory.mktemp("limited"),
        workers=2,
        ECOMAP_QUERIES_PER_MINUTE="4",
        ECOMAP_SUBMISSIONS_PER_MINUTE="2",
        ECOMAP_RESULT_CAP_ROWS="5",
        ECOMAP_RESULT_CAP_BYTES="100000",
    )
    yield running
    stop_server(running)


def make_tokens(server: Server) -> dict[str, str]:
    """A moderator's and a submitter's bearer tokens, made with ``ecomap users add`` as an operator would."""
    tokens = {}
    for name, role in (("moira", "moderator"), ("sam", "submitter")):
        made = server.ecomap("users", "add", name, "--role", role)
        assert made.returncode == 0, made.stderr
        tokens[role] = made.stdout.strip().splitlines()[-1]
    return tokens
