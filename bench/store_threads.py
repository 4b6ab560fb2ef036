"""Sustained lookups and the threads of the store's server: a regression check for a defect fixed.

`oxigraph serve --timeout-s`, which `ecomap serve` ran so that Oxigraph stopped a query at its time limit, starts a
thread per query that sleeps out the whole limit: the store held the query rate times the limit in threads, and at
Linux's default `vm.max_map_count` (65,530; four maps a thread) it could start no more past about 16,400, and died.
ecomap now keeps the limit itself (graph/store/protocol.py) and runs the server without it. Here: a synthetic map of
N organisations in a temporary folder, `ecomap serve --workers 2` with the default 30 s limit, and 4 clients sending
new lookups back to back; every 5 s, what was answered, what failed (and how) and the store's threads. Exits 1 if
any lookup failed.

    .venv/bin/python bench/store_threads.py --organisations 10000 --seconds 45
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from serving import BASE, CLIENTS, ECOMAP, JSON, wait_for

from api.server import free_port

SLOT = 5  # seconds


def store_pid(folder: Path) -> int | None:
    found = subprocess.run(
        ["pgrep", "-f", f"oxigraph serve --location {folder}/public/"], capture_output=True, text=True, check=False
    )
    pids = found.stdout.split()
    return int(pids[0]) if pids else None


def threads(pid: int | None) -> str:
    if pid is None:
        return "no server"
    try:
        return str(sum(1 for _ in Path(f"/proc/{pid}/task").iterdir()))
    except FileNotFoundError:
        return "no server"


async def flood(url: str, n: int, seconds: float, folder: Path) -> int:
    """The clients, and a line every SLOT seconds; the number of failed lookups."""
    rng = random.Random(7)
    started = time.monotonic()
    deadline = started + seconds
    answered: collections.Counter[int] = collections.Counter()
    failed: collections.Counter[int] = collections.Counter()
    first: dict[int, str] = {}

    async def client(http: httpx.AsyncClient) -> None:
        while time.monotonic() < deadline:
            query = f"SELECT ?p ?o WHERE {{ <{BASE}/id/organisation/syn-{rng.randrange(n)}> ?p ?o }}"
            slot = int((time.monotonic() - started) // SLOT)
            try:
                answer = await http.post(url, data={"query": query}, headers={"Accept": JSON})
            except httpx.HTTPError as error:
                failed[slot] += 1
                first.setdefault(slot, type(error).__name__)
                continue
            if answer.status_code == 200:
                answered[slot] += 1
            else:
                failed[slot] += 1
                first.setdefault(slot, f"{answer.status_code} {answer.text[:70]!r}")

    async def report() -> None:
        slot = 0
        while time.monotonic() < deadline:
            await asyncio.sleep(started + (slot + 1) * SLOT - time.monotonic())
            print(
                f"{(slot + 1) * SLOT:>4} s: {answered[slot]:>6} answered, {failed[slot]:>6} failed "
                f"{first.get(slot, '')}; the store's threads: {threads(store_pid(folder))}",
                flush=True,
            )
            slot += 1

    async with httpx.AsyncClient(timeout=60) as http:
        await asyncio.gather(*(client(http) for _ in range(CLIENTS)), report())
    return sum(failed.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, default=10000)
    parser.add_argument("--seconds", type=float, default=45)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ecomap-threads-") as temporary:
        folder = Path(temporary)
        env = {
            **os.environ,
            "ECOMAP_BASE_URI": BASE,
            "ECOMAP_STORE": str(folder / "public"),
            "ECOMAP_CACHE": str(folder / "cache"),
            "ECOMAP_QUERIES_PER_MINUTE": "0",
        }
        synthetic = folder / "synthetic.nq"
        subprocess.run(
            [ECOMAP, "synth", "--organisations", str(args.organisations), "--output", str(synthetic)],
            env=env,
            check=True,
        )
        subprocess.run([ECOMAP, "init"], env=env, check=True, capture_output=True)
        subprocess.run([ECOMAP, "load", "--bulk", str(synthetic)], env=env, check=True, capture_output=True)
        port = free_port()
        quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
        server = subprocess.Popen([ECOMAP, "serve", "--port", str(port), "--workers", "2"], env=env, **quiet)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for(f"{url}/sparql")
            limit = Path("/proc/sys/vm/max_map_count").read_text().strip()
            print(f"{args.organisations} organisations; vm.max_map_count {limit}", flush=True)
            failures = asyncio.run(flood(f"{url}/sparql", args.organisations, args.seconds, folder))
        finally:
            server.terminate()
            server.wait(timeout=30)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
