"""Benchmark: how deep a query `oxigraph serve` survives, construct by construct, and whether ecomap's limits hold.

Oxigraph's SPARQL parser and evaluator recurse, so a query deep enough aborts the server ("has overflowed its
stack"). For each construct of ``DEEP_QUERIES`` (tests/helpers.py: MINUS, sums, path steps, nested calls…), over an
empty store and over the seed (``ecomap init`` in a temporary folder), this sends a query holding n of it to a fresh
`oxigraph serve`, doubling n from 125 until the server dies (or the query would pass ecomap's length limit), then
bisects to 2 %: the smallest n that crashed it. ``--repeat`` runs each search again (the count that crashes the
server varies between runs). Then the soak: every construct at the most ``api/query_depth.py`` lets through, and
random mixes of constructs each at the same fraction of its limit, sent ``--soak`` times each: how many crashed the
server (the limits hold if none did).

    .venv/bin/python bench/query_depth.py                        # every construct, empty and seeded, then the soak
    .venv/bin/python bench/query_depth.py --constructs minus,sums --repeat 3 --soak 50
    .venv/bin/python bench/query_depth.py --repeat 0 --soak 20       # the soak alone, at the limits as they are

The smallest count found for each construct belongs in ``api/query_depth.py`` and ``DEEP_QUERIES``.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from helpers import DEEP_QUERIES  # noqa: E402

from api.query_depth import reckon  # noqa: E402
from api.server import free_port, oxigraph_command  # noqa: E402
from graph.settings import DEFAULT_QUERY_MAX_LENGTH  # noqa: E402

ECOMAP = Path(sys.executable).parent / "ecomap"


class StoreServer:
    """`oxigraph serve` over a copy of a store folder (or an empty one), started again whenever a query kills it."""

    def __init__(self, source: Path | None, timeout_s: int) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="ecomap-depth-"))
        if source is not None:
            shutil.copytree(source, self.folder, dirs_exist_ok=True)
        self.timeout_s = timeout_s
        self.crashes = 0
        self._start()

    def _start(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [
                *(oxigraph_command(), "serve", "--location", str(self.folder), "--bind", f"127.0.0.1:{self.port}"),
                *("--union-default-graph", "--timeout-s", str(self.timeout_s)),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.post(self.url, data={"query": "ASK {}"}, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("oxigraph serve did not start")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/query"

    def crashes_on(self, query: str) -> bool:
        """Send the query; whether the server died of it (it is started again if so)."""
        with suppress(httpx.HTTPError):
            httpx.post(self.url, data={"query": query}, timeout=self.timeout_s + 20)
        time.sleep(0.2)
        if self.process.poll() is None:
            return False
        self.crashes += 1
        self._start()
        return True

    def stop(self) -> None:
        self.process.kill()
        self.process.wait()
        shutil.rmtree(self.folder, ignore_errors=True)


@contextmanager
def seeded_store() -> Iterator[Path]:
    """The seed, initialised by `ecomap init` into a temporary folder (the live generation's folder)."""
    with tempfile.TemporaryDirectory(prefix="ecomap-depth-seed-") as folder:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ECOMAP_")}
        env |= {"ECOMAP_STORE": f"{folder}/public", "ECOMAP_STAGING_STORE": f"{folder}/staging"}
        subprocess.run([str(ECOMAP), "init"], env=env, check=True, capture_output=True)
        yield (Path(folder) / "public" / "current").resolve()


def smallest_crash(server: StoreServer, make: Callable[[int], str]) -> int | None:
    """The smallest n (to 2 %) whose query crashed the server, or None if none within the length limit did."""
    survived, n = 0, 125
    while len(make(n)) <= DEFAULT_QUERY_MAX_LENGTH:
        if server.crashes_on(make(n)):
            break
        survived, n = n, n * 2
    else:
        return None
    crashed = n
    while crashed - survived > max(2, survived // 50):
        middle = (survived + crashed) // 2
        if server.crashes_on(make(middle)):
            crashed = middle
        else:
            survived = middle
    return crashed


def allowed(make: Callable[[int], str], upper: int) -> int:
    """The largest n ecomap lets through."""
    passes, refused = 0, upper
    while refused - passes > 1:
        middle = (passes + refused) // 2
        if reckon(make(middle)).share < 1:
            passes = middle
        else:
            refused = middle
    return passes


def mixed(names: list[str], fraction: float) -> str:
    """One query holding several constructs, each at ``fraction`` of what ecomap allows of it alone, side by side in
    one group (the flat chains and the nested ones)."""
    parts = []
    for name in names:
        make, crashed_at = DEEP_QUERIES[name]
        n = max(1, int(allowed(make, crashed_at) * fraction))
        text = make(n)
        inner = text[text.index("{") + 1 : text.rindex("}")] if text.startswith("SELECT * WHERE {") else ""
        parts.append(f"{{ {inner} }}" if inner else "")
    return "SELECT * WHERE { " + " ".join(p for p in parts if p) + " }"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--constructs", default=",".join(DEEP_QUERIES))
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--soak", type=int, default=20)
    parser.add_argument("--timeout", type=int, default=2, help="oxigraph serve --timeout-s")
    arguments = parser.parse_args()
    names = arguments.constructs.split(",")
    print("construct                  crashed at (empty store)   crashed at (seed)   smallest   table   ecomap allows")
    with seeded_store() as seed:
        servers = {"empty": StoreServer(None, arguments.timeout), "seed": StoreServer(seed, arguments.timeout)}
        try:
            for name in names:
                make, recorded = DEEP_QUERIES[name]
                found = {
                    where: [smallest_crash(server, make) for _ in range(arguments.repeat)]
                    for where, server in servers.items()
                }
                counts = [n for runs in found.values() for n in runs if n is not None]
                smallest = min(counts) if counts else None
                print(
                    f"{name:26} {_runs(found['empty']):>24} {_runs(found['seed']):>19} "
                    f"{smallest or '-':>10} {recorded:>7} {allowed(make, recorded):>15}",
                    flush=True,
                )
            soak(servers["seed"], names, arguments.soak)
        finally:
            for server in servers.values():
                server.stop()


def _runs(counts: list[int | None]) -> str:
    return ", ".join("none" if n is None else str(n) for n in counts)


def soak(server: StoreServer, names: list[str], times: int) -> None:
    """Every construct at ecomap's limit, and random mixes of them, against the seeded server."""
    before, sent = server.crashes, 0
    for name in names:
        make, recorded = DEEP_QUERIES[name]
        query = make(allowed(make, recorded))
        for _ in range(times):
            server.crashes_on(query)
            sent += 1
    chooser = random.Random(18)
    for _ in range(times):
        chosen = chooser.sample(names, k=min(4, len(names)))
        query = mixed(chosen, 0.8 / len(chosen))
        assert reckon(query).share < 1, chosen
        server.crashes_on(query)
        sent += 1
    crashed = server.crashes - before
    print(f"soak: {sent} queries at ecomap's limits (each construct alone, and mixes), {crashed} crashes")


if __name__ == "__main__":
    main()
