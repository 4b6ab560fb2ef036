"""Benchmark: ecomap serving the map, against `oxigraph serve` and rdflib-endpoint, on the same synthetic data.

In one run, for each size N: `ecomap synth` makes N organisations (under the synthetic base, in temporary
folders only); `ecomap load --bulk` and `oxigraph load` load the same statements (reference data, seed and
synthetic records, exported as one N-Quads file), timed; then `ecomap serve`, `oxigraph serve` and
`rdflib-endpoint serve` answer a researcher's query set over SPARQL, each kind under 4 concurrent clients for a
fixed time, cold (just started) and warm (the same again); and ecomap's `/doc/…` pages are read the same way.
Reported: requests per second, median and 99th-percentile milliseconds, and ratios to Oxigraph's server.

    .venv/bin/python -m pip install rdflib-endpoint     # the comparison only; not a dependency of ecomap
    .venv/bin/python bench/serving.py --organisations 10000 --seconds 10

Status (2026-11-30): a first cut, not yet run to completion, so no figures from it are in bench/README.md. Its
first run found that rdflib's SPARQL parser is not thread-safe (ecomap's /sparql answered valid queries with
syntax errors under 4 concurrent clients; fixed in api/inspection.py). Still to do: a client's time slot can
overrun by a slow query (rdflib-endpoint's coverage matrix), and the 10^5 and 10^6 runs.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from api.server import free_port, oxigraph_command
from graph.namespaces import prefixes
from graph.queries import load_query

BASE = "http://127.0.0.1:8000/synthetic"
ECOMAP = str(Path(sys.executable).parent / "ecomap")
CLIENTS = 4
OVERRUN = 30.0  # seconds a request begun inside a client's time slot may run past it before it counts as an error
JSON = "application/sparql-results+json"


@dataclass
class Result:
    requests: int
    seconds: float
    latencies: list[float]
    errors: int

    def row(self) -> tuple[float, float, float]:
        if not self.latencies:
            return 0.0, float("nan"), float("nan")
        ordered = sorted(self.latencies)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return self.requests / self.seconds, statistics.median(ordered) * 1000, p99 * 1000


def queries(n: int, rng: random.Random) -> dict[str, callable]:
    declarations = "".join(f"PREFIX {k}: <{v}>\n" for k, v in prefixes(BASE).items())
    matrix = load_query("coverage-matrix")
    network = load_query("collaboration-network")
    standalone_matrix = matrix.standalone(BASE, prefixes(BASE))
    return {
        "lookup": lambda: f"SELECT ?p ?o WHERE {{ <{BASE}/id/organisation/syn-{rng.randrange(n)}> ?p ?o }}",
        "coverage matrix": lambda: standalone_matrix,
        "2-hop network": lambda: network.standalone(BASE, prefixes(BASE)).replace(
            "id/organisation/odi", f"id/organisation/syn-{rng.randrange(n)}"
        ),
        "name search": lambda: (
            declarations
            + 'SELECT ?o ?name WHERE { ?o skos:prefLabel ?name FILTER(CONTAINS(LCASE(STR(?name)), "commons 42")) }'
        ),
    }


async def hammer(url: str, make: callable, seconds: float, *, form: bool = True, accept: str = JSON) -> Result:
    """CLIENTS clients sending requests back to back for ``seconds``; every answer is read whole."""
    latencies: list[float] = []
    errors = 0
    deadline = time.monotonic() + seconds

    async def ask(http: httpx.AsyncClient) -> httpx.Response:
        if form:
            return await http.post(url, data={"query": make()}, headers={"Accept": accept})
        return await http.get(make(), headers={"Accept": accept})

    async def client(http: httpx.AsyncClient) -> None:
        nonlocal errors
        while (remaining := deadline - time.monotonic()) > 0:
            started = time.monotonic()
            try:
                answer = await asyncio.wait_for(ask(http), timeout=remaining + OVERRUN)
            except (httpx.HTTPError, TimeoutError):
                errors += 1
                continue
            if answer.status_code != 200:
                errors += 1
                continue
            latencies.append(time.monotonic() - started)

    started = time.monotonic()
    async with httpx.AsyncClient(timeout=None) as http:
        await asyncio.gather(*(client(http) for _ in range(CLIENTS)))
    return Result(len(latencies), time.monotonic() - started, latencies, errors)


def wait_for(url: str, seconds: float = 600) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            httpx.post(url, data={"query": "ASK {}"}, headers={"Accept": JSON}, timeout=5)
            return
        except httpx.HTTPError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not start")


def timed(command: list[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    subprocess.run(command, env=env, check=True, capture_output=True)
    return time.monotonic() - started


def run(n: int, seconds: float, folder: Path) -> None:
    env = {**os.environ, "ECOMAP_BASE_URI": BASE, "ECOMAP_STORE": str(folder / "ecomap" / "public")}
    env["ECOMAP_QUERIES_PER_MINUTE"] = "0"
    env["ECOMAP_CACHE"] = str(folder / "cache")
    synthetic, everything = folder / "synthetic.nq", folder / "everything.nq"
    subprocess.run([ECOMAP, "synth", "--organisations", str(n), "--output", str(synthetic)], env=env, check=True)
    subprocess.run([ECOMAP, "init"], env=env, check=True, capture_output=True)
    ecomap_load = timed([ECOMAP, "load", "--bulk", str(synthetic)], env)
    subprocess.run([ECOMAP, "export", "--format", "nq", "--output", str(everything)], env=env, check=True)
    statements = sum(1 for _ in everything.open("rb"))
    oxigraph_location = folder / "oxigraph"
    oxigraph_load = timed(
        [oxigraph_command(), "load", "--location", str(oxigraph_location), "--file", str(everything)], env
    )
    print(f"\n{n} organisations, {statements} statements")
    rates = statements / ecomap_load, statements / oxigraph_load
    print(f"bulk load: ecomap {rates[0]:,.0f} statements/s, oxigraph load {rates[1]:,.0f} statements/s")

    ports = {name: free_port() for name in ("ecomap", "oxigraph", "rdflib-endpoint")}
    servers = [
        subprocess.Popen(
            [ECOMAP, "serve", "--port", str(ports["ecomap"]), "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
        subprocess.Popen(
            [
                oxigraph_command(),
                "serve",
                "--location",
                str(oxigraph_location),
                "--bind",
                f"127.0.0.1:{ports['oxigraph']}",
                "--union-default-graph",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        ),
    ]
    endpoints = {
        "ecomap": f"http://127.0.0.1:{ports['ecomap']}/sparql",
        "oxigraph serve": f"http://127.0.0.1:{ports['oxigraph']}/query",
    }
    rdflib_endpoint = shutil.which("rdflib-endpoint") or str(Path(sys.executable).parent / "rdflib-endpoint")
    if Path(rdflib_endpoint).exists():
        servers.append(
            subprocess.Popen(
                [
                    rdflib_endpoint,
                    "serve",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(ports["rdflib-endpoint"]),
                    str(everything),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        endpoints["rdflib-endpoint"] = f"http://127.0.0.1:{ports['rdflib-endpoint']}/sparql"
    try:
        loading = time.monotonic()
        for url in endpoints.values():
            wait_for(url)
        print(f"servers ready in {time.monotonic() - loading:.0f} s")
        rng = random.Random(1)
        made = queries(n, rng)
        columns = ("req/s", "p50 ms", "p99 ms", "errors", "vs oxigraph")
        print(f"{'query':<16}{'server':<18}{'pass':<6}" + "".join(f"{c:>12}" for c in columns))
        for kind, make in made.items():
            for run_name in ("cold", "warm"):
                reference = None
                for name, url in endpoints.items():
                    result = asyncio.run(hammer(url, make, seconds))
                    rate, p50, p99 = result.row()
                    reference = rate if name == "oxigraph serve" else reference
                    ratio = f"{rate / reference:.2f}x" if reference else ""
                    figures = f"{rate:>12.1f}{p50:>12.1f}{p99:>12.1f}{result.errors:>12}{ratio:>12}"
                    print(f"{kind:<16}{name:<18}{run_name:<6}{figures}")
        doc = f"http://127.0.0.1:{ports['ecomap']}/doc/organisation/syn-"

        def page() -> str:
            return f"{doc}{rng.randrange(n)}"

        for media in ("text/html", "text/turtle"):
            for run_name in ("cold", "warm"):
                rate, p50, p99 = asyncio.run(hammer("", page, seconds, form=False, accept=media)).row()
                print(f"{'/doc ' + media:<16}{'ecomap':<18}{run_name:<6}{rate:>10.1f}{p50:>10.1f}{p99:>10.1f}")
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organisations", type=int, nargs="+", default=[10_000])
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    for n in args.organisations:
        with tempfile.TemporaryDirectory(prefix="ecomap-bench-") as folder:
            run(n, args.seconds, Path(folder))


if __name__ == "__main__":
    main()
