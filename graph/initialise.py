"""``ecomap init``: load the repository's ontology, vocabularies, shapes, reference data and seed records.

Everything is parsed before anything is written, and written in one transaction, so a broken file leaves
the store as it was. Each part replaces its own graph, so running ``init`` again gives the same store.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from graph.catalogue import ROOT, SEED_COMPILED, reference_parts, seed_files
from graph.metadata import dataset_description, record_description
from graph.rdf.identity import Identity
from graph.rdf.parsing import LoadError, parse_all
from graph.store.interface import Store
from graph.store.transaction import Transaction
from graph.version import bump_update


@dataclass(frozen=True)
class InitSummary:
    reference_graphs: int
    records: int
    statements: int


def read_seed_records(identity: Identity, root: Path = ROOT) -> dict[str, list[ox.Quad]]:
    """The seed records by graph IRI; every statement must sit in a record graph ``/data/{class}/{key}``."""
    records: dict[str, list[ox.Quad]] = defaultdict(list)
    for path in seed_files(root):
        for quad in parse_all(path, base_iri=identity.base + "/"):
            graph = quad.graph_name
            if not isinstance(graph, ox.NamedNode) or identity.topic_of_record(graph.value) is None:
                raise LoadError(
                    f"{path}: the statement about {quad.subject} is not inside a record graph "
                    f"<data/{{class}}/{{key}}> {{ ... }}"
                )
            records[graph.value].append(quad)
    return dict(records)


async def initialise(store: Store, root: Path = ROOT) -> InitSummary:
    identity = Identity(store.base)
    transaction = Transaction()
    parts = reference_parts(root)
    for part in parts:
        quads = [q for path in part.files for q in parse_all(path, base_iri=identity.base + "/")]
        transaction.replace_graph(identity.resolve(part.graph), quads)

    metadata = identity.metadata_graph
    described = dataset_description(identity)
    transaction.delete_description(metadata, identity.dataset)
    records = read_seed_records(identity, root)
    for graph, quads in records.items():
        transaction.replace_graph(graph, quads)
        transaction.delete_description(metadata, graph)
        described += record_description(
            identity, graph, quads, status="approved", contributor_role="editor", created=SEED_COMPILED
        )
    graph_name = ox.NamedNode(metadata)
    transaction.add(ox.Quad(t.subject, t.predicate, t.object, graph_name) for t in described)
    transaction.operations.append(bump_update(identity.base))
    await store.commit(transaction)
    return InitSummary(reference_graphs=len(parts), records=len(records), statements=await store.count())


async def initialise_staging(store: Store) -> None:
    """Create the staging store beside the public one, recording the same base URI; it starts empty."""
    identity = Identity(store.base)
    transaction = Transaction()
    transaction.delete_description(identity.metadata_graph, identity.dataset)
    graph_name = ox.NamedNode(identity.metadata_graph)
    transaction.add(ox.Quad(t.subject, t.predicate, t.object, graph_name) for t in dataset_description(identity))
    await store.commit(transaction)
