"""The data version: a counter in the public store, raised by the very update that changes public data.

Because the counter and the data change together, atomically, an answer computed between two readings of an
unchanged version is exactly the answer for that version; caches and entity tags rely on this (``api/answers.py``).
Every write to the public store raises it: approvals, withdrawals, merges and redactions (``api.upstream``, for
the public store) and ``ecomap init`` and ``ecomap load`` (``graph.initialise``, the stores' ``load``).
"""

from __future__ import annotations

from graph.identity import DATASET

VERSION_GRAPH = "data/version"
PREDICATE = "def/ecosystem/dataVersion"


def bump_update(base: str) -> str:
    """SPARQL Update operations that raise the version by one (from 0, where there is none yet): the next number
    is added, then the old one removed. (Written with aggregates because Virtuoso evaluates an ``OPTIONAL`` alone
    in a ``WHERE`` clause, and ``FILTER NOT EXISTS`` there, wrongly: the version never moved.)"""
    graph, dataset, predicate = (f"<{base}/{path}>" for path in (VERSION_GRAPH, DATASET, PREDICATE))
    version = f"GRAPH {graph} {{ {dataset} {predicate}"
    highest = f"{{ SELECT (MAX(?v) AS ?highest) WHERE {{ {version} ?v }} }} }}"
    return (
        f"INSERT {{ {version} ?new }} }} WHERE {{ {highest} BIND(COALESCE(?highest + 1, 1) AS ?new) }} ;\n"
        f"DELETE {{ {version} ?old }} }} WHERE {{ {version} ?old }} {highest} FILTER(?old < ?highest) }}"
    )


def version_query(base: str) -> str:
    graph, dataset, predicate = (f"<{base}/{path}>" for path in (VERSION_GRAPH, DATASET, PREDICATE))
    return f"SELECT ?version WHERE {{ GRAPH {graph} {{ {dataset} {predicate} ?version }} }}"
