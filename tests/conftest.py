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

from api.server import free_port
from graph.embedded import EmbeddedStore
from graph.initialise import initialise
from graph.settings import DEFAULT_BASE_URI
from graph.validation import Validator

BASE = DEFAULT_BASE_URI
ECOMAP = Path(sys.executable).parent / "ecomap"

Run = Callable[..., subprocess.CompletedProcess[str]]


def run_ecomap(store: Path, *args: str, base: str = BASE, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed console script against ``store``, as a user would."""
    env = {**os.environ, "ECOMAP_STORE": str(store), "ECOMAP_BASE_URI": base}
    return subprocess.run(
        [str(ECOMAP), *args], env=env, capture_output=True, text=True, input=stdin, timeout=300, check=False
    )


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


@dataclass
class Server:
    """A real ``ecomap serve`` (Oxigraph server plus uvicorn workers) on a free port."""

    url: str
    process: subprocess.Popen[str]
    folder: Path

    @property
    def store(self) -> Path:
        return self.folder / "store"


def start_server(folder: Path, *, own_group: bool = False, **settings: str) -> Server:
    """Initialise a store in ``folder`` (with one hostile record) and serve it with ``ecomap serve``."""
    store = folder / "store"
    assert run_ecomap(store, "init").returncode == 0
    hostile = folder / "hostile.trig"
    hostile.write_text(HOSTILE, encoding="utf-8")
    assert run_ecomap(store, "load", str(hostile)).returncode == 0
    return serve(folder, own_group=own_group, **settings)


def serve(folder: Path, *, own_group: bool = False, **settings: str) -> Server:
    """Serve the stores already in ``folder``; ``own_group`` puts the server and its children in a process
    group of their own, so that a test can kill them all at once."""
    port = free_port()
    env = {
        **os.environ,
        "ECOMAP_STORE": str(folder / "store"),
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
                return Server(url, process, folder)
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
        made = run_ecomap(server.store, "users", "add", name, "--role", role)
        assert made.returncode == 0, made.stderr
        tokens[role] = made.stdout.strip().splitlines()[-1]
    return tokens
