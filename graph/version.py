"""The data version: a token in the public store, replaced by the very update that changes public data.

Because the token and the data change together, atomically, an answer computed between two readings of an
unchanged version is exactly the answer for that version; caches and entity tags rely on this (``api/answers.py``).
Every write to the public store replaces it: approvals, withdrawals, merges and redactions (the web app's public store
sends it with every update: ``api/app.py``) and ``ecomap init`` and ``ecomap load`` (``graph.initialise``,
``graph.stores.load``).

Each change writes a random token of its own, never a counter: "read the highest and add one" needs the store
to serialise concurrent updates, and Oxigraph's snapshot isolation does not, so two approvals at once left one
number for two states of the data (``tests/test_concurrency.py`` found it). Two changes at once may each remove
the token they saw and leave both of theirs; the version is then both tokens, which differs from every version
before. Versions are only ever compared for equality.
"""

from __future__ import annotations

import secrets

import pyoxigraph as ox

from graph.rdf.identity import DATASET

VERSION_GRAPH = "data/version"
PREDICATE = "def/ecosystem/dataVersion"


def bump_update(base: str) -> str:
    """SPARQL Update operations that replace the version with a new token (one per call)."""
    graph, dataset, predicate = (f"<{base}/{path}>" for path in (VERSION_GRAPH, DATASET, PREDICATE))
    version = f"GRAPH {graph} {{ {dataset} {predicate}"
    return f'DELETE WHERE {{ {version} ?old }} }} ;\nINSERT DATA {{ {version} "{secrets.token_hex(8)}" }} }}'


def new_version(base: str) -> ox.Quad:
    """A statement of a new version token, for a store rewritten whole (``ecomap rebase``)."""
    return ox.Quad(
        ox.NamedNode(f"{base}/{DATASET}"),
        ox.NamedNode(f"{base}/{PREDICATE}"),
        ox.Literal(secrets.token_hex(8)),
        ox.NamedNode(f"{base}/{VERSION_GRAPH}"),
    )


def current_version(values: list[str]) -> str:
    """The version the stored tokens make (several after concurrent changes), "0" before any change."""
    return ".".join(sorted(values)) or "0"


def version_query(base: str) -> str:
    graph, dataset, predicate = (f"<{base}/{path}>" for path in (VERSION_GRAPH, DATASET, PREDICATE))
    return f"SELECT ?version WHERE {{ GRAPH {graph} {{ {dataset} {predicate} ?version }} }}"


def without_version(quads: list[ox.Quad], base: str) -> list[ox.Quad]:
    """A loaded file's statements less any data version it carries (an export does): the version is the store's
    own, and the load replaces it."""
    graph = ox.NamedNode(f"{base}/{VERSION_GRAPH}")
    return [q for q in quads if q.graph_name != graph]
