"""Benchmark: what starting and replacing a web worker costs, forked from a server that imported the app, against
uvicorn's own way, each worker started afresh ("spawn").

In one run, on a store `ecomap init` makes in a temporary folder: `ecomap serve --workers N` is started twice, once
as it is and once with its workers spawned, and for each are measured the CPU-seconds its processes used until every
worker answers (Oxigraph's servers left out), the memory they then hold (PSS, which shares pages fairly between
processes), and the seconds from killing one worker until a replacement is serving.

    .venv/bin/python bench/workers.py --workers 4
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from api.server import free_port

ECOMAP = str(Path(sys.executable).parent / "ecomap")
SPAWNED = (
    "import multiprocessing, sys, api.server; "
    "api.server.worker_context = lambda: multiprocessing.get_context('spawn'); "
    "from graph.cli.main import main; sys.argv[0] = 'ecomap'; main()"
)


STARTED = "Application startup complete."


def process_table() -> dict[int, tuple[int, str]]:
    """Every process: its parent and its command line, read at one moment."""
    table = {}
    for entry in Path("/proc").iterdir():
        try:
            parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            table[int(entry.name)] = (parent, (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
        except (ValueError, OSError, IndexError):
            continue
    return table


def below(pid: int, table: dict[int, tuple[int, str]]) -> set[int]:
    """The processes under ``pid``, however deep."""
    found: set[int] = set()
    frontier = [pid]
    while frontier:
        parent = frontier.pop()
        for child, (its_parent, _) in table.items():
            if its_parent == parent and child not in found:
                found.add(child)
                frontier.append(child)
    return found


def python_processes(master: int) -> list[int]:
    table = process_table()
    return [master] + [pid for pid in below(master, table) if "oxigraph" not in table[pid][1]]


def serving_workers(master: int) -> set[int]:
    """The web workers: spawned by ``master``, or forked by its fork server (they carry the fork server's command)."""
    table = process_table()
    fork_servers = {pid for pid, (parent, line) in table.items() if parent == master and "forkserver import" in line}
    return {
        pid
        for pid, (parent, line) in table.items()
        if (parent == master and "spawn_main" in line) or parent in fork_servers
    }


def cpu_seconds(pids: list[int]) -> float:
    total = 0.0
    for pid in pids:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def pss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                total += int(line.split()[1])
    return total / 1024


def answering(url: str, workers: int, seconds: float = 120) -> None:
    """Until ``workers`` processes have each had the chance to answer: every request below is on a new connection."""
    deadline = time.monotonic() + seconds
    answered = 0
    while answered < workers * 8:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer")
        try:
            answered += httpx.get(url + "/healthz", timeout=5).status_code == 200
        except httpx.HTTPError:
            time.sleep(0.05)


def measure(way: str, folder: Path, workers: int) -> dict[str, float]:
    port = free_port()
    env = {**os.environ, "ECOMAP_STORE": str(folder / "public"), "ECOMAP_STAGING_STORE": str(folder / "staging")}
    command = [ECOMAP] if way == "forked" else [sys.executable, "-c", SPAWNED]
    log = folder / f"{way}.log"
    started = time.monotonic()
    server = subprocess.Popen(
        [*command, "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    try:
        url = f"http://127.0.0.1:{port}"
        while len(serving_workers(server.pid)) < workers:
            time.sleep(0.05)
        answering(url, workers)
        ready = time.monotonic() - started
        pids = python_processes(server.pid)
        figures = {"ready_s": ready, "cpu_s": cpu_seconds(pids), "pss_mib": pss_mib(pids)}
        victim = max(serving_workers(server.pid))
        os.kill(victim, signal.SIGKILL)
        killed = time.monotonic()
        while len(serving_workers(server.pid) - {victim}) < workers:
            time.sleep(0.02)
        while log.read_text().count(STARTED) < workers + 1:  # uvicorn logs it once a worker's app has started
            time.sleep(0.02)
        newcomer = max(serving_workers(server.pid) - {victim})
        figures["replaced_s"] = time.monotonic() - killed
        figures["replacement_cpu_s"] = cpu_seconds([newcomer])
        return figures
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ecomap-bench-workers-") as temporary:
        folder = Path(temporary)
        env = {**os.environ, "ECOMAP_STORE": str(folder / "public"), "ECOMAP_STAGING_STORE": str(folder / "staging")}
        subprocess.run([ECOMAP, "init"], env=env, check=True, capture_output=True)
        results = {way: measure(way, folder, args.workers) for way in ("spawned", "forked")}
    print(f"ecomap serve --workers {args.workers}")
    print(f"{'workers':10} {'ready s':>8} {'CPU s':>7} {'PSS MiB':>8} {'one replaced s':>15} {'its CPU s':>10}")
    for way, got in results.items():
        print(
            f"{way:10} {got['ready_s']:8.2f} {got['cpu_s']:7.2f} {got['pss_mib']:8.0f}"
            f" {got['replaced_s']:15.2f} {got['replacement_cpu_s']:10.2f}"
        )
    spawned, forked = results["spawned"], results["forked"]
    print(
        f"forked / spawned: CPU {forked['cpu_s'] / spawned['cpu_s']:.2f},"
        f" PSS {forked['pss_mib'] / spawned['pss_mib']:.2f},"
        f" replacement {forked['replaced_s'] / spawned['replaced_s']:.2f}"
    )


if __name__ == "__main__":
    main()
