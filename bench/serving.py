"""Benchmark: ecomap serving the map, against `oxigraph serve` and rdflib-endpoint, on the same synthetic data.

In one run, for each size N: `ecomap synth` makes N organisations (under the synthetic base, in temporary
folders only); `ecomap load --bulk` and `oxigraph load` load the same statements (reference data, seed and
synthetic records, exported as one N-Quads file), timed; then `ecomap serve`, `oxigraph serve` and
`rdflib-endpoint serve` answer a researcher's query set over SPARQL, each kind under 4 concurrent clients for a
fixed time, cold (just started) and warm (the same again); and ecomap's `/doc/…` pages are read the same way.
Reported: requests per second, median and 99th-percentile milliseconds, and ratios to Oxigraph's server.

    .venv/bin/python -m pip install "rdflib-endpoint==0.6.3"   # the comparison only; not a dependency of ecomap
    .venv/bin/python bench/serving.py --organisations 10000 --seconds 10

Also measured: lookups while one more client loops the coverage matrix (each time with a fresh comment, so
that no server can answer it from a cache), validation of a one-organisation submission and of a 1,000-organisation
CSV (`POST /submissions?dry_run=true`), and the peak resident memory of the loader and of each server (its
processes together). Synthetic data lives only in the temporary folder; it never reaches a public store.

And the floors under what ecomap is measured against: lookups, alone and beside the matrix, through a bare Python
proxy in front of `oxigraph serve` (bench/bare_proxy.py: the least any Python layer costs), and the `/doc` page's own
query sent straight to `oxigraph serve` (what a page costs with no worker at all).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from api.listening import NO_DELAY
from api.server import free_port, oxigraph_command
from api.services.document import description_query
from graph.queries import load_query
from graph.rdf.identity import Identity, UriClass
from graph.rdf.namespaces import prefixes
from graph.rdf.query_text import prologue

BASE = "http://127.0.0.1:8000/synthetic"
ECOMAP = str(Path(sys.executable).parent / "ecomap")
CLIENTS = 4
OVERRUN = 30.0  # seconds a request begun inside a client's time slot may run past it before it counts as an error
JSON = "application/sparql-results+json"
EXAMPLE = Path(__file__).resolve().parent.parent / "docs" / "examples" / "organisations.csv"


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


def queries(n: int, rng: random.Random) -> dict[str, Callable[[], str]]:
    declarations = "".join(f"PREFIX {k}: <{v}>\n" for k, v in prefixes(BASE).items())
    matrix = load_query("coverage-matrix")
    network = load_query("collaboration-network")
    standalone_matrix = matrix.standalone(BASE, prefixes(BASE))
    # Cheapest first: a server that goes on computing an abandoned slow query (rdflib-endpoint does) would
    # otherwise hold up the kinds measured after it.
    return {
        "lookup": lambda: f"SELECT ?p ?o WHERE {{ <{BASE}/id/organisation/syn-{rng.randrange(n)}> ?p ?o }}",
        "name search": lambda: (
            declarations
            + 'SELECT ?o ?name WHERE { ?o skos:prefLabel ?name FILTER(CONTAINS(LCASE(STR(?name)), "commons 42")) }'
        ),
        "2-hop network": lambda: network.standalone(BASE, prefixes(BASE)).replace(
            "id/organisation/odi", f"id/organisation/syn-{rng.randrange(n)}"
        ),
        "coverage matrix": lambda: standalone_matrix,
    }


async def hammer(url: str, make: Callable[[], str], seconds: float, *, form: bool = True, accept: str = JSON) -> Result:
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


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Seconds taken by ``command`` and its peak resident memory in MiB."""
    started = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise subprocess.CalledProcessError(process.returncode, command)
    return time.monotonic() - started, usage.ru_maxrss / 1024


def peak_mib(pid: int) -> float:
    """The peak resident memory of a process and all its descendants, each its own high-water mark, summed."""
    total, waiting = 0, [pid]
    while waiting:
        current = waiting.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except OSError:
            continue
        total += int(re.search(r"VmHWM:\s+(\d+)", status).group(1))
        for task in tasks:
            try:
                waiting += [int(child) for child in (task / "children").read_text().split()]
            except OSError:  # the thread has ended
                continue
    return total / 1024


def tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    found, waiting = [], [pid]
    while waiting:
        current = waiting.pop()
        found.append(current)
        try:
            tasks = list(Path(f"/proc/{current}/task").iterdir())
        except OSError:
            continue
        for task in tasks:
            try:
                waiting += [int(child) for child in (task / "children").read_text().split()]
            except OSError:
                continue
    return found


class ProportionalPeak(threading.Thread):
    """The highest sum, sampled four times a second, of the proportional set size (PSS) of each server's processes:
    a page that forked processes share counts once among them, not once in each, as summing their peak resident
    sizes counts it (ecomap's web workers are forked from a fork server that imported the app)."""

    def __init__(self, pids: dict[str, int]) -> None:
        super().__init__(daemon=True)
        self.pids = pids
        self.peaks = dict.fromkeys(pids, 0.0)
        self.parts: dict[str, list[tuple[str, float]]] = {name: [] for name in pids}
        self.phase = "starting"  # what the bench is measuring now, noted with each server's peak
        self.phase_at_peak = dict.fromkeys(pids, "")
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.25):
            for name, pid in self.pids.items():
                parts = []
                for process in tree(pid):
                    try:
                        rollup = Path(f"/proc/{process}/smaps_rollup").read_text()
                        command = Path(f"/proc/{process}/cmdline").read_bytes().split(b"\0")
                    except OSError:
                        continue
                    pss = re.search(r"^Pss:\s+(\d+)", rollup, re.MULTILINE)
                    parts.append((role(command), int(pss.group(1)) / 1024 if pss else 0.0))
                total = sum(size for _, size in parts)
                if total > self.peaks[name]:
                    self.peaks[name], self.parts[name], self.phase_at_peak[name] = total, parts, self.phase


def role(command: list[bytes]) -> str:
    """What a server's process is, read from its command line: the parts of ecomap's peak memory."""
    text = b" ".join(command).decode(errors="replace")
    if "oxigraph" in text and " serve" in text:
        return "staging store" if "staging" in text else "store"
    if "forkserver" in text:
        return "fork server or worker"
    if "resource_tracker" in text:
        return "resource tracker"
    return "supervisor" if "ecomap" in text else Path(text.split(" ")[0]).name


async def lookups_during(url: str, lookup: Callable[[], str], expensive: str, seconds: float) -> tuple[Result, int]:
    """CLIENTS clients looking things up while one more client loops ``expensive``, each time with a new comment
    so that no server can answer it from a cache; also how many times the expensive query completed."""
    completed = 0
    deadline = time.monotonic() + seconds

    async def loop(http: httpx.AsyncClient) -> None:
        nonlocal completed
        while (remaining := deadline - time.monotonic()) > 0:
            text = f"{expensive}\n# run {completed} {random.random()}"
            try:
                answer = await asyncio.wait_for(
                    http.post(url, data={"query": text}, headers={"Accept": JSON}), timeout=remaining + OVERRUN
                )
            except (httpx.HTTPError, TimeoutError):
                continue
            completed += answer.status_code == 200

    async with httpx.AsyncClient(timeout=None) as http:
        result, _ = await asyncio.gather(hammer(url, lookup, seconds), loop(http))
    return result, completed


def alone(http: httpx.Client, url: str, query: str, limit: float) -> float | None:
    """Seconds one server takes to answer ``query`` with nothing else running, or None if not within ``limit``."""
    started = time.monotonic()
    try:
        answer = http.post(url, data={"query": query}, headers={"Accept": JSON}, timeout=limit)
    except httpx.TimeoutException:
        return None
    return time.monotonic() - started if answer.status_code == 200 else None


def validation(url: str, organisations: int, repeats: int) -> float:
    """Median milliseconds to validate a CSV of ``organisations`` new organisations (a dry run: nothing stored)."""
    header = EXAMPLE.read_text().splitlines()[0]
    rows = [
        f"org{i},organisation,Benchmark Organisation {i},,charity-or-non-profit,https://bench-{i}.example/,"
        f"W92000004,,https://bench-{i}.example/about,,,,,,,,,Organisation {i} of the validation benchmark."
        for i in range(organisations)
    ]
    body = "\n".join([header, *rows]).encode()
    times = []
    for _ in range(repeats):
        started = time.monotonic()
        answer = httpx.post(
            url,
            params={"dry_run": "true", "accept_terms": "true"},
            content=body,
            headers={"Content-Type": "text/csv"},
            timeout=300,
        )
        if answer.status_code != 200:
            raise RuntimeError(f"validation answered {answer.status_code}: {answer.text[:500]}")
        times.append(time.monotonic() - started)
    return statistics.median(times) * 1000


def figures(result: Result, references: dict[str, float]) -> str:
    rate, p50, p99 = result.row()
    ratios = "".join(f"{rate / reference:>12.2f}x" if reference else f"{'':>13}" for reference in references.values())
    return f"{rate:>10.1f}{p50:>10.1f}{p99:>10.1f}{result.errors:>8}{ratios}"


def run(n: int, seconds: float, folder: Path, rdflib_up_to: int) -> None:
    env = {**os.environ, "ECOMAP_BASE_URI": BASE, "ECOMAP_STORE": str(folder / "ecomap" / "public")}
    env.update(
        ECOMAP_QUERIES_PER_MINUTE="0",
        ECOMAP_SUBMISSIONS_PER_MINUTE="0",
        ECOMAP_SUBMISSION_MAX_STATEMENTS="1000000",
        ECOMAP_CACHE=str(folder / "cache"),
    )
    synthetic, everything = folder / "synthetic.nq", folder / "everything.nq"
    subprocess.run([ECOMAP, "synth", "--organisations", str(n), "--output", str(synthetic)], env=env, check=True)
    subprocess.run([ECOMAP, "init"], env=env, check=True, capture_output=True)
    ecomap_load, ecomap_memory = timed([ECOMAP, "load", "--bulk", str(synthetic)], env)
    subprocess.run([ECOMAP, "export", "--format", "nq", "--output", str(everything)], env=env, check=True)
    loaded = sum(1 for _ in synthetic.open("rb"))
    statements = sum(1 for _ in everything.open("rb"))
    oxigraph_location = folder / "oxigraph"
    oxigraph_load, oxigraph_memory = timed(
        [oxigraph_command(), "load", "--location", str(oxigraph_location), "--file", str(everything)], env
    )
    print(f"\n{n} organisations, {statements} statements")
    print(
        f"bulk load: ecomap load {loaded / ecomap_load:,.0f} statements/s (peak {ecomap_memory:,.0f} MiB), "
        f"oxigraph load {statements / oxigraph_load:,.0f} statements/s (peak {oxigraph_memory:,.0f} MiB)"
    )

    ports = {name: free_port() for name in ("ecomap", "oxigraph", "rdflib-endpoint")}
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    servers = {
        "oxigraph serve": subprocess.Popen(
            [
                oxigraph_command(),
                "serve",
                "--location",
                str(oxigraph_location),
                "--bind",
                f"127.0.0.1:{ports['oxigraph']}",
                "--union-default-graph",
            ],
            **quiet,
        ),
        "ecomap": subprocess.Popen(
            [ECOMAP, "serve", "--port", str(ports["ecomap"]), "--workers", "2"], env=env, **quiet
        ),
    }
    endpoints = {"oxigraph serve": f"http://127.0.0.1:{ports['oxigraph']}/query"}
    rdflib_endpoint = shutil.which("rdflib-endpoint") or str(Path(sys.executable).parent / "rdflib-endpoint")
    rdflib_command = [rdflib_endpoint, "serve", "--host", "127.0.0.1", "--port", str(ports["rdflib-endpoint"])]
    with_rdflib = Path(rdflib_endpoint).exists() and n <= rdflib_up_to
    if with_rdflib:
        servers["rdflib-endpoint"] = subprocess.Popen([*rdflib_command, str(everything)], **quiet)
        endpoints["rdflib-endpoint"] = f"http://127.0.0.1:{ports['rdflib-endpoint']}/"  # 0.6 serves SPARQL at /
    peaks: dict[str, float] = {}

    def measured(name: str, result: Result) -> Result:
        """rdflib-endpoint goes on computing a query its client gave up on, slowing every later measurement:
        after a timeout it is restarted (its peak memory noted first)."""
        if name == "rdflib-endpoint" and result.errors:
            peaks[name] = max(peaks.get(name, 0.0), peak_mib(servers[name].pid))
            servers[name].kill()
            servers[name].wait()
            servers[name] = subprocess.Popen([*rdflib_command, str(everything)], **quiet)
            wait_for(endpoints[name])
        return result

    endpoints["ecomap"] = f"http://127.0.0.1:{ports['ecomap']}/sparql"  # last: its ratios use this pass's figures
    sampler = ProportionalPeak({name: server.pid for name, server in servers.items() if name != "rdflib-endpoint"})
    sampler.start()
    targets: dict[
        str, tuple[float, float, bool]
    ] = {}  # what the issue asks: (figure, target, whether higher is better)
    try:
        loading = time.monotonic()
        for url in endpoints.values():
            wait_for(url)
        print(f"servers ready in {time.monotonic() - loading:.0f} s")
        rng = random.Random(1)
        made = queries(n, rng)
        references = {name: 0.0 for name in endpoints if name != "ecomap"}
        warm_lookups: dict[str, float] = {}  # each server's lookups a second, warm: the bare proxy's reference
        columns = "".join(f"{'vs ' + name:>13}" for name in references)
        print(f"{'query':<18}{'server':<17}{'pass':<6}{'req/s':>10}{'p50 ms':>10}{'p99 ms':>10}{'errors':>8}{columns}")
        for kind, make in made.items():
            for run_name in ("cold", "warm"):
                sampler.phase = f"{kind} ({run_name})"
                for name, url in endpoints.items():
                    result = measured(name, asyncio.run(hammer(url, make, seconds)))
                    shown = figures(result, references) if name == "ecomap" else figures(result, {})
                    if name in references:
                        references[name] = result.row()[0]
                    if kind == "lookup" and run_name == "warm":
                        warm_lookups[name] = result.row()[0]
                    print(f"{kind:<18}{name:<17}{run_name:<6}{shown}")
                    if name == "ecomap" and kind in ("lookup", "2-hop network"):
                        for reference, needed in (("oxigraph serve", 0.5), ("rdflib-endpoint", 3.0)):
                            if references.get(reference) and (kind == "lookup" or reference == "oxigraph serve"):
                                ratio = result.row()[0] / references[reference]
                                targets[f"{kind} ({run_name}) vs {reference}"] = (ratio, needed, True)
        matrix = load_query("coverage-matrix").standalone(BASE, prefixes(BASE))
        during: dict[str, float] = {}
        sampler.phase = "lookup + matrix"
        for name, url in endpoints.items():
            result, completed = asyncio.run(lookups_during(url, made["lookup"], matrix, seconds))
            measured(name, result)
            during[name] = result.row()[0]
            print(f"{'lookup + matrix':<18}{name:<17}{'':<6}{figures(result, {})}  ({completed} matrices completed)")
        if during.get("oxigraph serve"):
            targets["lookups while the matrix loops vs oxigraph serve"] = (
                during["ecomap"] / during["oxigraph serve"],
                0.5,
                True,
            )
        # The floor under both lookup figures: the least a Python layer in front of Oxigraph costs
        # (bench/bare_proxy.py), measured the same ways: how much of what ecomap misses is its own work.
        port = free_port()
        bare = subprocess.Popen(
            [sys.executable, str(Path(__file__).with_name("bare_proxy.py")), str(port), endpoints["oxigraph serve"]],
            **quiet,
        )
        try:
            url = f"http://127.0.0.1:{port}/"
            wait_for(url)
            sampler.phase = "bare proxy"
            result = asyncio.run(hammer(url, made["lookup"], seconds))
            shown = figures(result, {"oxigraph serve": warm_lookups["oxigraph serve"]})
            print(f"{'lookup':<18}{'bare proxy':<17}{'warm':<6}{shown}")
            result, completed = asyncio.run(lookups_during(url, made["lookup"], matrix, seconds))
            during_ratio = {"oxigraph serve": during.get("oxigraph serve", 0.0)}
            shown = f"{figures(result, during_ratio)}  ({completed} matrices completed)"
            print(f"{'lookup + matrix':<18}{'bare proxy':<17}{'':<6}{shown}")
        finally:
            bare.terminate()
            bare.wait()
        # The matrix once, alone, with a new comment so that no server answers it from a cache: the cold ratio.
        # Each other server gets 25 times ecomap's time (at least a minute) before it counts as "more than".
        # One kept-alive client with Nagle's algorithm off, as for the servers: otherwise each request's body
        # waits for the server's delayed ACK of its headers (tens of milliseconds).
        with httpx.Client(transport=httpx.HTTPTransport(socket_options=NO_DELAY)) as http:
            sampler.phase = "coverage matrix alone"
            cold = {"ecomap": alone(http, endpoints["ecomap"], f"{matrix}\n# alone {random.random()}", 600)}
            limit = max(60.0, 25 * (cold["ecomap"] or 24.0))
            for name in references:
                cold[name] = alone(http, endpoints[name], f"{matrix}\n# alone", limit)
                measured(name, Result(0, 0, [], int(cold[name] is None)))  # restarts rdflib-endpoint after a timeout
            warm = [alone(http, endpoints["ecomap"], matrix, 60) for _ in range(21)][1:]
        shown = [f"{name} {f'{t:.2f} s' if t else f'no answer in {limit:.0f} s'}" for name, t in cold.items()]
        ratios = [
            f"{'≥' if t is None else ''}{(t or limit) / cold['ecomap']:.1f}x vs {name}"
            for name, t in cold.items()
            if name != "ecomap" and cold["ecomap"]
        ]
        print(f"coverage matrix alone, cold: {', '.join(shown)} (ecomap {', '.join(ratios)})")
        if all(t is not None for t in warm):
            print(f"coverage matrix alone, warm: ecomap p50 {statistics.median(warm) * 1000:.1f} ms (20 requests)")
        doc = f"http://127.0.0.1:{ports['ecomap']}/doc/organisation/syn-"

        def page() -> str:
            return f"{doc}{rng.randrange(n)}"

        for media in ("text/html", "text/turtle"):
            for run_name in ("cold", "warm"):
                sampler.phase = f"/doc {media} ({run_name})"
                result = asyncio.run(hammer("", page, seconds, form=False, accept=media))
                print(f"{'/doc ' + media:<18}{'ecomap':<17}{run_name:<6}{figures(result, {})}")
                targets[f"/doc {media} ({run_name}) p99 ms"] = (result.row()[2], 20.0, False)
        # The floor under /doc: the page's own query sent straight to Oxigraph's server (no worker at all), as Turtle.
        identity = Identity(BASE)

        def page_query() -> str:
            key = f"syn-{rng.randrange(n)}"
            thing, record = (
                identity.thing(UriClass.ORGANISATION, key),
                identity.record_graph(UriClass.ORGANISATION, key),
            )
            return prologue(BASE) + description_query(thing, record, identity.metadata_graph, identity.dataset)

        sampler.phase = "/doc's query"
        result = asyncio.run(hammer(endpoints["oxigraph serve"], page_query, seconds, accept="text/turtle"))
        print(f"{'/doc query alone':<18}{'oxigraph serve':<17}{'':<6}{figures(result, {})}")
        listing = f"http://127.0.0.1:{ports['ecomap']}/organisations?format=json&q="

        def search() -> str:
            """A name search through the list page, which asks ecomap's name index: a number that a few
            synthetic names hold, so each request is a new search (cold: the first builds the index)."""
            return f"{listing}{rng.randrange(100, n)}"

        for run_name in ("cold", "warm"):
            sampler.phase = f"/organisations?q= ({run_name})"
            result = asyncio.run(hammer("", search, seconds, form=False, accept="application/json"))
            print(f"{'/organisations?q=':<18}{'ecomap':<17}{run_name:<6}{figures(result, {})}")
        submissions = f"http://127.0.0.1:{ports['ecomap']}/submissions"
        sampler.phase = "validation"
        print(
            f"validation: one organisation {validation(submissions, 1, 7):.0f} ms, "
            f"1,000 organisations {validation(submissions, 1000, 3):.0f} ms (median, a dry run over HTTP)"
        )
        for name, server in servers.items():
            peaks[name] = max(peaks.get(name, 0.0), peak_mib(server.pid))
        memory = ", ".join(f"{name} {peak:,.0f} MiB" for name, peak in peaks.items())
        print(f"peak resident memory of the servers (each process's peak, summed): {memory}")
        sampler.done.set()
        sampler.join()
        shared = ", ".join(f"{name} {peak:,.0f} MiB" for name, peak in sampler.peaks.items())
        print(f"peak proportional memory of the servers (PSS, sampled 4 times a second): {shared}")
        parts = ", ".join(f"{part} {size:,.0f}" for part, size in sorted(sampler.parts["ecomap"], key=lambda p: -p[1]))
        print(f"ecomap's processes at that peak (PSS, MiB, during {sampler.phase_at_peak['ecomap']}): {parts}")
        print(f"oxigraph serve's peak was during {sampler.phase_at_peak['oxigraph serve']}")
        for label, ratio in (
            ("summed peaks", peaks["ecomap"] / peaks["oxigraph serve"]),
            ("PSS", sampler.peaks["ecomap"] / max(sampler.peaks["oxigraph serve"], 1.0)),
        ):
            targets[f"memory of ecomap serve vs oxigraph serve ({label})"] = (ratio, 1.5, False)
        print(f"targets at {n} organisations:")
        for what, (figure, needed, higher) in targets.items():
            met = figure >= needed if higher else figure <= needed
            print(f"  {what}: {figure:.2f} (target {'≥' if higher else '≤'} {needed:g}) {'met' if met else 'MISSED'}")
    finally:
        sampler.done.set()
        for server in servers.values():
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:  # rdflib-endpoint waits for the queries it is still computing
                server.kill()
                server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organisations", type=int, nargs="+", default=[10_000])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument(
        "--rdflib-endpoint-up-to",
        type=int,
        default=10_000,
        help="Compare with rdflib-endpoint up to this many organisations (it loads 10^5 in minutes, into GBs).",
    )
    args = parser.parse_args()
    # Stopped with SIGTERM, stop the servers too (``run``'s finally): a left-over rdflib-endpoint computing an
    # abandoned query would slow every later run on the machine.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    for n in args.organisations:
        with tempfile.TemporaryDirectory(prefix="ecomap-bench-") as folder:
            run(n, args.seconds, Path(folder), args.rdflib_endpoint_up_to)


if __name__ == "__main__":
    main()
