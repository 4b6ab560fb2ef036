"""``ecomap serve``: run the public store's Oxigraph server on loopback, and the web workers in front of it.

pyoxigraph can neither cancel a running query nor share an on-disk store between processes, so the store
is served by Oxigraph's own server (``oxigraph serve``), and any number of uvicorn workers reach it over the SPARQL
1.1 Protocol: the path any remote store will use. The server is watched and restarted if it dies, or when a worker
asks, to stop a query past the time limit. The workers keep that limit (``graph.store.protocol``), not Oxigraph's
``--timeout-s``, which starts a thread for every query that sleeps out the whole limit: under a steady stream of
lookups the server ran out of threads and died (bench/store_threads.py).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import multiprocessing
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

import anyio
import httpx
import uvicorn
import uvicorn._subprocess
from starlette.types import ASGIApp
from uvicorn.config import LOGGING_CONFIG
from uvicorn.main import STARTUP_FAILURE

from api.listening import SpreadWorkers, listening_socket, sockets_on_one_port
from api.protocol import TimedHttpProtocol
from graph.rdf.query_text import prologue
from graph.serving import Serving, announce, restart_requested, withdraw
from graph.settings import Endpoint, Settings
from graph.store.embedded import StoreDirectory
from graph.store.interface import StoreError
from graph.store.protocol import ProtocolStore
from graph.stores import check_base, recorded_base

PR_SET_PDEATHSIG = 1
KEEP_ALIVE_SECONDS = 30  # how long an idle kept-alive connection stays open


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def oxigraph_command() -> str:
    beside = Path(sys.executable).parent / "oxigraph"
    found = str(beside) if beside.exists() else shutil.which("oxigraph")
    if not found:
        raise StoreError("the `oxigraph` server is not installed: run `make install`")
    return found


def die_with_parent() -> None:
    """Ask Linux to stop this process (SIGTERM) when its parent dies, even by SIGKILL: run in a store server, so that no
    orphaned server keeps the store locked; in a web worker, so that none outlives the fork server it came from."""
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


# Oxigraph's server answers each connection on a thread of its own, and glibc gives each thread that allocates an arena
# of its own, which keeps what was freed in it. Behind the web workers' pooled connections the public store grew to 1.5
# times the memory of the same server with a few clients (405 against 283 MiB at 10^4 organisations, bench/README.md);
# two arenas bound that, at no cost in speed measured there. A value set in the environment wins.
ALLOCATOR = {"MALLOC_ARENA_MAX": "2"}


class StoreServer:
    """One Oxigraph server process for one store folder, on a loopback port, restarted if it dies."""

    def __init__(self, store_path: Path, *, union_default_graph: bool) -> None:
        self.store_path = store_path
        live = StoreDirectory(store_path).current
        if live is None:
            raise StoreError(f"there is no store at {store_path}: run `ecomap init` first")
        self.location = live
        self.union_default_graph = union_default_graph
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self._stopping = threading.Event()

    @property
    def query_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"

    @property
    def serving(self) -> Serving:
        """Where the command line can reach this store while it is served."""
        root = f"http://127.0.0.1:{self.port}"
        return Serving(
            query_url=f"{root}/query", update_url=f"{root}/update", store_url=f"{root}/store", pid=os.getpid()
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                oxigraph_command(),
                "serve",
                "--location",
                str(self.location),
                "--bind",
                f"127.0.0.1:{self.port}",
                *(["--union-default-graph"] if self.union_default_graph else []),
            ],
            stdout=subprocess.DEVNULL,
            env={**ALLOCATOR, **os.environ},
            preexec_fn=die_with_parent,
        )
        self._wait_until_ready()

    def _wait_until_ready(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise StoreError(f"the Oxigraph server for {self.location} exited at start (is the store in use?)")
            try:
                httpx.post(self.query_url, data={"query": "ASK {}"}, timeout=1).raise_for_status()
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise StoreError(f"the Oxigraph server for {self.location} did not answer within {seconds:.0f} s")

    def watch(self) -> None:
        """Restart the server if it dies, until :meth:`stop`."""

        def loop() -> None:
            while not self._stopping.wait(1):
                if restart_requested(self.store_path) and self.process is not None and self.process.poll() is None:
                    print("ecomap: restarting the Oxigraph server to stop a query past its time limit", file=sys.stderr)
                    self.process.kill()
                    self.process.wait()
                if self.process is not None and self.process.poll() is not None:
                    print(
                        f"ecomap: the Oxigraph server exited ({self.process.returncode}); restarting it",
                        file=sys.stderr,
                    )
                    try:
                        self.start()
                    except StoreError as error:  # try again on the next tick rather than stop watching
                        print(f"ecomap: restarting the Oxigraph server failed: {error}", file=sys.stderr)

        threading.Thread(target=loop, name="store-watch", daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()


@contextmanager
def supervised_stores(settings: Settings) -> Iterator[Settings]:
    """An Oxigraph server for each store on disk (the public store queried as a whole: its default graph is the
    union of its graphs), watched, restarted if it dies and announced to the command line; none for a remote SPARQL
    store, whose base URI is checked instead. Yields the settings with the servers' URLs."""
    stores = (
        ("upstream_url", settings.store_path, settings.store_endpoint, True),
        ("staging_url", settings.staging_path, settings.staging_endpoint, False),
    )
    servers: list[StoreServer] = []
    urls: dict[str, str] = {}
    try:
        for field, path, remote, union in stores:
            if remote is not None:
                check_base(anyio.run(_recorded_base, remote, settings.base_uri), remote.query_url, settings.base_uri)
                continue
            server = StoreServer(path, union_default_graph=union)
            servers.append(server)
            server.start()
            recorded = anyio.run(_recorded_base, Endpoint.oxigraph(server.query_url), settings.base_uri)
            check_base(recorded, str(server.location), settings.base_uri)
            server.watch()
            announce(server.store_path, server.serving)
            urls[field] = server.query_url
        yield replace(settings, upstream_url=urls.get("upstream_url"), staging_url=urls.get("staging_url"))
    finally:
        for server in servers:
            withdraw(server.store_path)
            server.stop()


LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def unserved_base(base: str, host: str, port: int) -> str | None:
    """What to say where the base URI names this machine on another port than the one served: every link on the pages
    would lead there. A base elsewhere (a public name, a proxy in front) is the operator's to route."""
    parts = urlsplit(base)
    if parts.hostname not in LOOPBACK:
        return None
    base_port = parts.port or (443 if parts.scheme == "https" else 80)
    if base_port == port:
        return None
    here = f"http://{'127.0.0.1' if host in ('0.0.0.0', '::') else host}:{port}"
    return (
        f"ecomap: the map's IRIs start with {base}, but it is served on port {port}: every link on its pages leads to "
        f"port {base_port}. Serve it there (ecomap serve --port {base_port}), or move the stores to this address "
        f"(ecomap rebase {base} {here}; for new stores, set ECOMAP_BASE_URI={here})."
    )


def serve(settings: Settings, host: str, port: int, workers: int) -> None:
    """Serve the public and staging stores, each with its own Oxigraph server unless it is a remote SPARQL store,
    and the web workers in front of them, which read where the servers are from the environment."""
    warning = unserved_base(settings.base_uri, host, port)
    if warning:
        print(warning, file=sys.stderr, flush=True)
    with supervised_stores(settings) as served:
        for variable, url in (("ECOMAP_UPSTREAM_URL", served.upstream_url), ("ECOMAP_STAGING_URL", served.staging_url)):
            if url is not None:
                os.environ[variable] = url
        _run_workers(host, port, workers)


def web_config(
    app: ASGIApp | str, host: str, port: int, workers: int = 1, *, own_logging: bool = True
) -> uvicorn.Config:
    """uvicorn's configuration for the web workers: ``app`` is the app, or the path of its factory for workers in
    processes of their own. Without ``own_logging`` uvicorn leaves the process's logging as it is (an app served in a
    process that logs its own way)."""
    return uvicorn.Config(
        app,
        factory=isinstance(app, str),
        log_config=LOGGING_CONFIG if own_logging else None,
        host=host,
        port=port,
        workers=workers,
        proxy_headers=False,
        access_log=False,
        # A client that sends on a kept-alive connection just as the server closes it gets a reset and no answer
        # (50 submitters at once met it with uvicorn's 5 s); an idle connection costs a worker next to nothing.
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        # A request sent too slowly is cut off (api/protocol.py).
        http=TimedHttpProtocol,
        # No `server: uvicorn` on every answer: it tells a scanner what to look up flaws for, and no client needs it.
        server_header=False,
    )


def worker_context() -> multiprocessing.context.ForkServerContext:
    """Where the web workers come from: forked from a fork server, a fresh interpreter that has imported the app.

    uvicorn starts each worker afresh ("spawn"), and each then spent 1.4 s of CPU importing the app, again
    whenever a dead worker was replaced. The fork server is started by exec, not forked from this process, whose
    store supervisors' threads a fork could catch holding a lock; the app's imports start no Python thread there
    (numpy's OpenBLAS starts one of its own, and looks after itself at a fork). uvicorn takes its workers' context
    from ``uvicorn._subprocess.spawn``. ``api.workers`` makes each worker end with the fork server. bench/workers.py
    measures both ways.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["api.workers", "api.app"])
    return context


def _run_workers(host: str, port: int, workers: int) -> None:
    """What ``uvicorn.run`` does, on :func:`listening_socket`."""
    # Each request is logged once, as JSON, by api/observability.py; the workers count metrics into one folder.
    metrics = Path(tempfile.mkdtemp(prefix="ecomap-metrics-"))
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics)
    config = web_config("api.app:create_app", host, port, workers)
    try:
        if workers > 1:
            uvicorn._subprocess.spawn = worker_context()  # type: ignore[assignment]  # same interface
            SpreadWorkers(config, sockets_on_one_port(config, workers)).run()
            return
        server = uvicorn.Server(config)
        server.run(sockets=[listening_socket(config)])
        if not server.started:
            raise SystemExit(STARTUP_FAILURE)
    finally:
        shutil.rmtree(metrics, ignore_errors=True)


async def _recorded_base(endpoint: Endpoint, base: str) -> str | None:
    store = ProtocolStore(endpoint, base, prologue(base), 30)
    try:
        return await recorded_base(store)
    finally:
        await store.close()
