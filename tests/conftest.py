"""Fixtures that use the real parts: the installed ``ecomap`` command, on-disk stores, the repository's files."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from api.server import free_port, oxigraph_command
from graph.embedded import EmbeddedStore
from graph.initialise import initialise
from graph.settings import DEFAULT_BASE_URI
from graph.validation import Validator

BASE = DEFAULT_BASE_URI
ECOMAP = Path(sys.executable).parent / "ecomap"

Run = Callable[..., subprocess.CompletedProcess[str]]


def ecomap_with(settings: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script with these settings, as a user would."""
    env = {**os.environ, "ECOMAP_BASE_URI": BASE, **settings}
    return subprocess.run(
        [str(ECOMAP), *args], env=env, capture_output=True, text=True, input=stdin, timeout=300, check=False
    )


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
    store = EmbeddedStore.open(tmp_path_factory.mktemp("seeded") / "store", BASE)
    initialise(store)
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
embedded_only = pytest.mark.skipif(BACKEND != "embedded", reason="about the store folders ecomap serve supervises")


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
    port = port or free_port()
    process = subprocess.Popen(
        [
            oxigraph_command(),
            "serve",
            "--location",
            str(location),
            "--bind",
            f"127.0.0.1:{port}",
            "--timeout-s",
            timeout_s,
            *(["--union-default-graph"] if union else []),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    query_url = f"http://127.0.0.1:{port}/query"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.post(query_url, data={"query": "ASK {}"}, timeout=1).status_code == 200:
                return query_url, process
        except httpx.HTTPError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"oxigraph serve did not start for {location}")


def make_stores(folder: Path, timeout_s: str = "30") -> Stores:
    if BACKEND == "embedded":
        return Stores({"ECOMAP_STORE": str(folder / "store")}, [])
    public, public_process = remote_oxigraph(folder / "remote-public", union=True, timeout_s=timeout_s)
    staging, staging_process = remote_oxigraph(folder / "remote-staging", union=False, timeout_s=timeout_s)
    env = {"ECOMAP_STORE": "sparql+" + public, "ECOMAP_STAGING_STORE": "sparql+" + staging}
    return Stores(env, [public_process, staging_process])


@dataclass
class Server:
    """A real ``ecomap serve`` (uvicorn workers, over Oxigraph servers or remote stores) on a free port."""

    url: str
    process: subprocess.Popen[str]
    folder: Path
    stores: Stores

    @property
    def store(self) -> Path:
        """The public store's folder (embedded backend only)."""
        return self.folder / "store"

    def ecomap(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        """Run the installed command against this server's stores, as an operator would."""
        return ecomap_with(self.stores.env, *args, stdin=stdin)


def start_server(folder: Path, *, own_group: bool = False, **settings: str) -> Server:
    """Initialise the stores (with one hostile record) and serve them with ``ecomap serve``."""
    stores = make_stores(folder, settings.get("ECOMAP_QUERY_TIMEOUT", "30"))
    hostile = folder / "hostile.trig"
    hostile.write_text(HOSTILE, encoding="utf-8")
    for args in (["init"], ["load", str(hostile)]):
        done = ecomap_with(stores.env, *args)
        assert done.returncode == 0, done.stderr
    return serve(folder, stores, own_group=own_group, **settings)


def serve(folder: Path, stores: Stores, *, own_group: bool = False, **settings: str) -> Server:
    """Serve the stores already made; ``own_group`` puts the server and its children in a process group of
    their own, so that a test can kill them all at once."""
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
        [str(ECOMAP), "serve", "--port", str(port), "--workers", "2"],
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
            if httpx.get(url + "/", timeout=2).status_code == 200:
                return Server(url, process, folder, stores)
        except httpx.HTTPError:
            time.sleep(0.2)
    process.terminate()
    raise RuntimeError("ecomap serve did not start:\n" + (folder / "server.log").read_text())


def stop_server(server: Server) -> None:
    server.process.send_signal(signal.SIGINT)
    try:
        server.process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.process.kill()
    server.stores.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The map served as a user runs it, with a short query timeout and no fair-use limit in the way."""
    running = start_server(tmp_path_factory.mktemp("served"), ECOMAP_QUERY_TIMEOUT="2", ECOMAP_QUERIES_PER_MINUTE="0")
    yield running
    stop_server(running)


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """A server with a small fair-use limit and small result caps."""
    running = start_server(
        tmp_path_factory.mktemp("limited"),
        ECOMAP_QUERIES_PER_MINUTE="4",
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
