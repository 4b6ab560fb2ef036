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
    """One SPARQL Update operation that raises the version by one (from 0, where there is none yet)."""
    graph, dataset, predicate = (f"<{base}/{path}>" for path in (VERSION_GRAPH, DATASET, PREDICATE))
    return f"""DELETE {{ GRAPH {graph} {{ {dataset} {predicate} ?old }} }}
INSERT {{ GRAPH {graph} {{ {dataset} {predicate} ?new }} }}
WHERE {{ OPTIONAL {{ GRAPH {graph} {{ {dataset} {predicate} ?old }} }} BIND(COALESCE(?old + 1, 1) AS ?new) }}"""


def version_query(base: str) -> str:
    graph, dataset, predicate = (f"<{base}/{path}>" for path in (VERSION_GRAPH, DATASET, PREDICATE))
    return f"SELECT ?version WHERE {{ GRAPH {graph} {{ {dataset} {predicate} ?version }} }}"
