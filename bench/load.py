"""Benchmark: ecomap serving a read mix while submissions are written and approved.

Starts `ecomap serve --workers 2` on a store of its own in a temporary folder, initialised with the seed (`ecomap
init`) under the synthetic base (`serving.BASE`), with fair use off; then, for a fixed time, C clients read a mix
of what the map's users ask for (`/doc/organisation/…` pages as HTML and as Turtle, a saved query, a `/sparql`
SELECT, the organisations list page, `/reconcile`) while one writer submits new organisations back to back and
one moderator approves each as it arrives, so that every approval changes the data version and the answers kept
for the old one are of no more use. Reported: requests per second, p50/p95/p99 milliseconds and errors (answers
other than 2xx and 3xx, or no answer) for each kind of read and overall, and the writes done.

    .venv/bin/python bench/load.py --seconds 60 --clients 16
    .venv/bin/python bench/load.py --seconds 60 --clients 16 --without-writes   # the same reads alone

Every ``ECOMAP_*`` setting of the calling environment is dropped, so that the server can reach no store but its
temporary one: the synthetic submissions never reach a deployment's stores. The load generator runs on the same
machine as the server, so on a small machine its own CPU bounds the figures too.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from serving import BASE, ECOMAP

from api.server import free_port

JSON = "application/sparql-results+json"
OVERRUN = 30.0  # seconds a request begun before the end may run past it before it counts as an error
ORGANISATIONS = f"""PREFIX org: <http://www.w3.org/ns/org#>
PREFIX rov: <http://www.w3.org/ns/regorg#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT DISTINCT ?organisation ?name WHERE {{
  VALUES ?class {{ org:Organization org:FormalOrganization org:OrganizationalUnit rov:RegisteredOrganization }}
  ?organisation a ?class ; skos:prefLabel ?name FILTER(LANG(?name) = "en")
  FILTER(STRSTARTS(STR(?organisation), "{BASE}/id/organisation/"))
}}"""
SUBMISSION = """@prefix eco: <def/ecosystem/> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dcterms: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix org: <http://www.w3.org/ns/org#> .
<id/organisation/{key}> a org:Organization ;
    skos:prefLabel "Load Benchmark Organisation {number}"@en ;
    eco:organisationKind <def/organisation-kind/charity-or-non-profit> ;
    foaf:homepage <https://{key}.example/> ;
    eco:basedIn <id/place/W92000004> ;
    dcterms:source <https://{key}.example/about> .
<id/activity/{key}-programme> a eco:Activity ;
    skos:prefLabel "Load benchmark programme {number}"@en ;
    eco:activityKind <def/activity-kind/programme> ;
    eco:runBy <id/organisation/{key}> ;
    eco:supports <def/nds-pillar/data-skills> ;
    dcterms:spatial <id/place/W92000004> ;
    dcterms:source <https://{key}.example/programme> .
"""


@dataclass
class Tally:
    """The answers of one kind of request: latencies in seconds of the good ones, and the others by status."""

    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)

    def add(self, started: float, status: int | str) -> None:
        if isinstance(status, int) and 200 <= status < 400:
            self.latencies.append(time.monotonic() - started)
        else:
            self.errors[str(status)] += 1

    def row(self, name: str, seconds: float) -> str:
        ordered = sorted(self.latencies)

        def at(share: float) -> float:
            return ordered[min(len(ordered) - 1, int(len(ordered) * share))] * 1000 if ordered else float("nan")

        median = statistics.median(ordered) * 1000 if ordered else float("nan")
        errors = sum(self.errors.values())
        detail = f"  {dict(self.errors)}" if errors else ""
        return (
            f"{name:<18}{len(ordered):>9}{len(ordered) / seconds:>9.1f}{median:>9.1f}{at(0.95):>9.1f}{at(0.99):>9.1f}"
            f"{errors:>8}{detail}"
        )


Read = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def reads(organisations: list[tuple[str, str]], rng: random.Random) -> dict[str, tuple[int, Read]]:
    """Each kind of read, with its weight in the mix (how often a client picks it)."""

    def some() -> tuple[str, str]:
        return rng.choice(organisations)

    def doc(media_type: str) -> Read:
        def read(http: httpx.AsyncClient) -> Awaitable[httpx.Response]:
            path = some()[0].removeprefix(BASE).replace("/id/", "/doc/", 1)
            return http.get(path, headers={"Accept": media_type})

        return read

    def saved(http: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        params = {"organisation": some()[0], "hops": "1"}
        return http.get("/queries/collaboration-network", params=params, headers={"Accept": JSON})

    def sparql(http: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        query = f"SELECT ?p ?o WHERE {{ <{some()[0]}> ?p ?o }}"
        return http.post("/sparql", data={"query": query}, headers={"Accept": JSON})

    def listing(http: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        return http.get("/organisations", headers={"Accept": "text/html"})

    def reconcile(http: httpx.AsyncClient) -> Awaitable[httpx.Response]:
        name = some()[1]
        return http.get("/reconcile", params={"queries": json.dumps({"q0": {"query": name, "limit": 3}})})

    return {
        "/doc html": (3, doc("text/html")),
        "/doc turtle": (2, doc("text/turtle")),
        "saved query": (1, saved),
        "/sparql select": (2, sparql),
        "list page": (1, listing),
        "/reconcile": (1, reconcile),
    }


@dataclass
class Writes:
    submitted: int = 0
    approved: int = 0
    submit: Tally = field(default_factory=Tally)
    approve: Tally = field(default_factory=Tally)


async def load(url: str, token: str, seconds: float, clients: int, writing: bool) -> None:
    rng = random.Random(1)
    limits = httpx.Limits(max_connections=clients + 2, max_keepalive_connections=clients + 2)
    async with httpx.AsyncClient(base_url=url, timeout=None, limits=limits) as http:
        found = await http.post("/sparql", data={"query": ORGANISATIONS}, headers={"Accept": JSON})
        organisations = [(r["organisation"]["value"], r["name"]["value"]) for r in found.json()["results"]["bindings"]]
        kinds = reads(organisations, rng)
        names, weights = list(kinds), [weight for weight, _ in kinds.values()]
        tallies: dict[str, Tally] = defaultdict(Tally)
        writes = Writes()
        waiting: asyncio.Queue[str] = asyncio.Queue()
        started = time.monotonic()
        deadline = started + seconds

        async def timed(request: Awaitable[httpx.Response], tally: Tally) -> httpx.Response | None:
            began = time.monotonic()
            try:
                answer = await asyncio.wait_for(request, timeout=max(0.0, deadline - began) + OVERRUN)
            except (httpx.HTTPError, TimeoutError) as error:
                tally.add(began, type(error).__name__)
                return None
            tally.add(began, answer.status_code)
            return answer

        async def reader() -> None:
            while time.monotonic() < deadline:
                kind = rng.choices(names, weights)[0]
                await timed(kinds[kind][1](http), tallies[kind])

        async def writer() -> None:
            number = 0
            while time.monotonic() < deadline:
                number += 1
                body = SUBMISSION.format(key=f"load-bench-{number}", number=number).encode()
                answer = await timed(
                    http.post(
                        "/submissions",
                        content=body,
                        params={"accept_terms": "true"},
                        headers={"Content-Type": "text/turtle"},
                    ),
                    writes.submit,
                )
                if answer is not None and answer.status_code == 201:
                    writes.submitted += 1
                    waiting.put_nowait(answer.json()["id"])

        async def moderator() -> None:
            authorised = {"Authorization": f"Bearer {token}"}
            while time.monotonic() < deadline:
                try:
                    submission = await asyncio.wait_for(waiting.get(), timeout=max(0.01, deadline - time.monotonic()))
                except TimeoutError:
                    return
                answer = await timed(
                    http.post(f"/submissions/{submission}/approve", headers=authorised), writes.approve
                )
                if answer is not None and answer.status_code == 200:
                    writes.approved += 1

        await asyncio.gather(*(reader() for _ in range(clients)), *([writer(), moderator()] if writing else []))
        elapsed = time.monotonic() - started

    print(f"{len(organisations)} organisations in the seed; {clients} clients reading for {elapsed:.0f} s")
    print(f"{'request':<18}{'answers':>9}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}{'errors':>8}")
    overall = Tally()
    for name in names:
        tally = tallies[name]
        overall.latencies += tally.latencies
        overall.errors.update(tally.errors)
        print(tally.row(name, elapsed))
    print(overall.row("all reads", elapsed))
    if not writing:
        print("writes: none (--without-writes)")
        return
    print(writes.submit.row("submit (writer)", elapsed))
    print(writes.approve.row("approve", elapsed))
    print(f"writes: {writes.submitted} submissions stored, {writes.approved} approved (each a new data version)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--without-writes", action="store_true", help="Reads only, for comparison.")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stopped, stop the server too (the finally below)
    with tempfile.TemporaryDirectory(prefix="ecomap-load-") as folder:
        env = {name: value for name, value in os.environ.items() if not name.startswith("ECOMAP_")}
        env.update(
            ECOMAP_BASE_URI=BASE,
            ECOMAP_STORE=str(Path(folder) / "public"),
            ECOMAP_STAGING_STORE=str(Path(folder) / "staging"),
            ECOMAP_CACHE=str(Path(folder) / "cache"),
            ECOMAP_QUERIES_PER_MINUTE="0",
            ECOMAP_SUBMISSIONS_PER_MINUTE="0",
        )
        subprocess.run([ECOMAP, "init"], env=env, check=True, capture_output=True)
        made = subprocess.run(
            [ECOMAP, "users", "add", "bench-moderator", "--role", "moderator"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        token = made.stdout.strip().splitlines()[-1]
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [ECOMAP, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(url + "/", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("ecomap serve did not start")
                time.sleep(0.3)
            asyncio.run(load(url, token, args.seconds, args.clients, not args.without_writes))
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


if __name__ == "__main__":
    main()
