"""Benchmark: why ecomap's store is Oxigraph (pyoxigraph) rather than rdflib.

Builds a synthetic graph of N organisations with activities, places and supported framework concepts on top
of ecomap's real ontology, vocabularies and places, then measures, in one run and on the same data, loading
and three of ecomap's query shapes in pyoxigraph (in memory and on disk) and in rdflib (in memory).
Synthetic data lives only in temporary stores made here; it never reaches the public store.

    .venv/bin/python bench/store_engines.py --organisations 1000 10000
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import pyoxigraph as ox
import rdflib

from graph.catalogue import reference_parts
from graph.rdf.namespaces import prefixes

BASE = "http://127.0.0.1:8000"
SYNTHETIC = f"{BASE}/synthetic/"
P = prefixes(BASE)

QUERIES = {
    "lookup": "SELECT ?p ?o WHERE { <%s> ?p ?o }",
    "coverage matrix": """
        SELECT ?concept ?nation (COUNT(DISTINCT ?org) AS ?organisations) WHERE {
          ?concept skos:inScheme <http://127.0.0.1:8000/def/m1-principle> .
          ?nation dcterms:type <http://127.0.0.1:8000/def/place-type/country> .
          OPTIONAL {
            ?activity eco:supports ?concept ; eco:runBy ?org ; dcterms:spatial ?place .
            ?place geo:sfWithin* ?nation .
          }
        } GROUP BY ?concept ?nation""",
    "name search": """
        SELECT ?org ?name WHERE { ?org skos:prefLabel ?name FILTER(CONTAINS(LCASE(STR(?name)), "data 42")) }""",
}
HEADER = "".join(f"PREFIX {k}: <{v}>\n" for k, v in P.items())


def synthetic_ntriples(n: int, seed: int = 7) -> str:
    """N organisations, each with two activities; places and concepts drawn from ecomap's real vocabularies."""
    rng = random.Random(seed)
    regions = [f"{BASE}/id/place/E1200000{i}" for i in range(1, 10)]
    nations = [f"{BASE}/id/place/{c}" for c in ("W92000004", "S92000003", "N92000002")]
    places = regions + nations + [f"{BASE}/id/place/E47000001", f"{BASE}/id/place/E47000007"]
    principles = [f"{BASE}/def/m1-principle/{k}" for k in ("improve-knowledge", "reduce-costs", "address-risks")]
    kinds = [f"{BASE}/def/organisation-kind/{k}" for k in ("company", "charity-or-non-profit", "local-authority")]
    eco, skos, dct = P["eco"], P["skos"], P["dcterms"]
    lines = []
    for i in range(n):
        org = f"<{SYNTHETIC}organisation/o{i}>"
        lines += [
            f"{org} <{P['rdf']}type> <{P['org']}Organization> .",
            f'{org} <{skos}prefLabel> "Synthetic Data {i} Ltd"@en .',
            f"{org} <{eco}organisationKind> <{rng.choice(kinds)}> .",
            f"{org} <{eco}basedIn> <{rng.choice(places)}> .",
        ]
        for j in range(2):
            act = f"<{SYNTHETIC}activity/a{i}-{j}>"
            lines += [
                f"{act} <{P['rdf']}type> <{eco}Activity> .",
                f'{act} <{skos}prefLabel> "Synthetic activity {i}-{j}"@en .',
                f"{act} <{eco}runBy> {org} .",
                f"{act} <{eco}supports> <{rng.choice(principles)}> .",
                f"{act} <{dct}spatial> <{rng.choice(places)}> .",
            ]
    return "\n".join(lines) + "\n"


def reference_ntriples() -> bytes:
    quads = [
        q for part in reference_parts() for path in part.files for q in ox.parse(path=str(path), base_iri=BASE + "/")
    ]
    return ox.serialize([ox.Triple(q.subject, q.predicate, q.object) for q in quads], format=ox.RdfFormat.N_TRIPLES)


def timed(action: Callable[[], object], runs: int) -> float:
    """Median wall time of ``runs`` runs after one warm-up, in seconds; each run consumes the whole result."""
    times = []
    for run in range(runs + 1):
        start = time.perf_counter()
        result = action()
        if isinstance(result, Iterable):
            for _row in result:
                pass
        if run:
            times.append(time.perf_counter() - start)
    return statistics.median(times)


def measure(n: int, runs: int) -> dict[str, dict[str, float]]:
    data = reference_ntriples() + synthetic_ntriples(n).encode()
    lookup_iri = f"{SYNTHETIC}organisation/o{n // 2}"
    texts = {name: HEADER + (q % lookup_iri if name == "lookup" else q) for name, q in QUERIES.items()}
    results: dict[str, dict[str, float]] = {}

    with tempfile.TemporaryDirectory() as folder:
        for engine in ("pyoxigraph (memory)", "pyoxigraph (disk)"):
            store = ox.Store(str(Path(folder) / "ox")) if "disk" in engine else ox.Store()
            start = time.perf_counter()
            store.bulk_load(data, format=ox.RdfFormat.N_TRIPLES)
            row = {"load": time.perf_counter() - start, "triples": float(len(store))}
            for name, text in texts.items():
                row[name] = timed(lambda text=text, store=store: store.query(text), runs)
            results[engine] = row
            del store

    graph = rdflib.Graph()
    start = time.perf_counter()
    graph.parse(data=data, format="nt")
    row = {"load": time.perf_counter() - start, "triples": float(len(graph))}
    for name, text in texts.items():
        row[name] = timed(lambda text=text: graph.query(text), max(1, runs // 2))
    results["rdflib (memory)"] = row
    return results


def report(n: int, results: dict[str, dict[str, float]]) -> str:
    columns = ["load", *QUERIES]
    rdflib_row = results["rdflib (memory)"]
    lines = [
        f"\n{n} organisations, {int(rdflib_row['triples'])} triples (median ms; ratio = rdflib time / engine time)"
    ]
    lines.append(f"{'engine':<22}" + "".join(f"{c:>24}" for c in columns))
    for engine, row in results.items():
        cells = "".join(f"{row[c] * 1000:>13.3f} ({rdflib_row[c] / row[c]:>6.1f}x)" for c in columns)
        lines.append(f"{engine:<22}{cells}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--organisations", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--runs", type=int, default=5, help="runs per query (rdflib gets half as many)")
    args = parser.parse_args()
    for n in args.organisations:
        print(report(n, measure(n, args.runs)), flush=True)


if __name__ == "__main__":
    main()
