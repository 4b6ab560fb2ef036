"""ecomap's use of a store, above the backends and the same for each: which store a command opens (and that its base
URI is the configured one), loading files with their records' metadata and a new data version, and exporting. The
backends know nothing of records, metadata or versions; this is where those steps are written, once."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from graph.metadata import STORED_BASE_QUERY, describe_loaded
from graph.rdf.identity import Identity
from graph.rdf.namespaces import prefixes
from graph.rdf.parsing import ProgressCallback
from graph.rdf.query_text import prologue
from graph.serving import Supervision, running
from graph.settings import Settings
from graph.store.embedded import EmbeddedStore
from graph.store.interface import Store, StoreError
from graph.store.protocol import ProtocolStore, answers_with_triples
from graph.store.transaction import Transaction
from graph.version import bump_update, without_version

# A command waits this long for a remote store, or for the Oxigraph server ``ecomap serve`` runs, to answer.
COMMAND_TIMEOUT_S = 600
QUAD_FORMATS = (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)


@asynccontextmanager
async def opened(settings: Settings, *, staging: bool = False) -> AsyncIterator[Store]:
    """``open_store``'s store, closed when the block ends."""
    store = await open_store(settings, staging=staging)
    try:
        yield store
    finally:
        await store.close()


async def open_store(settings: Settings, *, staging: bool = False) -> Store:
    """The public (or staging) store: a remote SPARQL store if configured, else the one on disk, reached through
    ``ecomap serve`` while it runs. It must have been created with the configured base URI."""
    base = settings.base_uri
    remote = settings.staging_endpoint if staging else settings.store_endpoint
    path = settings.staging_path if staging else settings.store_path
    serving = None if remote else running(path)
    endpoint = remote or (serving.endpoint if serving else None)
    store: Store
    if endpoint is not None:
        # A change to a store ecomap serve runs is announced to its web workers (graph.serving.Supervision).
        announce = Supervision(path).announce_change if serving and not staging else None
        store = ProtocolStore(endpoint, base, prologue(base), COMMAND_TIMEOUT_S, on_changed=announce)
    else:
        store = EmbeddedStore.open(path, base, prefixes(base))
    try:
        check_base(await recorded_base(store), endpoint.query_url if endpoint else str(path), base)
    except StoreError:
        await store.close()
        raise
    return store


async def recorded_base(store: Store) -> str | None:
    """The base URI a store was created with, or ``None`` for a store not yet initialised."""
    spaces = {row["space"].value for row in await store.solutions(STORED_BASE_QUERY)}
    if len(spaces) > 1:
        raise StoreError(f"the store describes itself with several base URIs: {sorted(spaces)}")
    return spaces.pop().rstrip("/") if spaces else None


def check_base(recorded: str | None, where: str, base: str) -> None:
    if recorded is not None and recorded != base:
        raise StoreError(
            f"the store at {where} was created with base URI {recorded}, not {base}: "
            f"set ECOMAP_BASE_URI={recorded}, or move the store with: ecomap rebase {recorded} {base}"
        )


async def load(
    store: Store,
    paths: Sequence[Path],
    *,
    graph: str | None = None,
    format_name: str | None = None,
    bulk: bool = False,
    progress: ProgressCallback | None = None,
) -> int:
    """Load files all or nothing (a syntax error in any loads none) and return how many statements they held. Each
    record graph the metadata graph does not describe yet is described as an editor's approved record, and the data
    version is replaced in the same change. A bulk load (a store on disk only) takes its files as they are, into a
    new generation of the store."""
    if bulk:
        if not isinstance(store, EmbeddedStore):
            raise StoreError("bulk loading needs the store on disk: stop `ecomap serve` first")
        return store.bulk_load(paths, graph, format_name, progress, then=bump_update(store.base))
    transaction = Transaction()
    count = transaction.add_files(paths, store.base, graph=graph, format_name=format_name, progress=progress)
    transaction.inserts = without_version(transaction.inserts, store.base)
    transaction.operations += describe_loaded(Identity(store.base), transaction.inserts, datetime.now(UTC))
    transaction.operations.append(bump_update(store.base))  # loading changes the public data
    await store.commit(transaction)
    return count


async def quads(store: Store) -> list[ox.Quad]:
    """Every statement, with its graph."""
    data = b"".join([chunk async for chunk in store.dump()])
    return list(ox.parse(data, format=ox.RdfFormat.N_QUADS))


async def export(store: Store, output: IO[bytes], rdf_format: ox.RdfFormat) -> None:
    """Write every statement; a format without graphs gets the union of all graphs."""
    every = await quads(store)
    if rdf_format in QUAD_FORMATS:
        ox.serialize(every, output, rdf_format, prefixes=prefixes(store.base))
        return
    triples = {ox.Triple(q.subject, q.predicate, q.object) for q in every}
    ox.serialize(sorted(triples, key=str), output, rdf_format, prefixes=prefixes(store.base))


async def query(store: Store, text: str) -> tuple[bytes, bool]:
    """Any query's answer as the store sent it, whichever the backend, for a command to read with :func:`results`:
    N-Triples for a graph (``True``), else SPARQL's JSON results. Read by the thread that writes them: pyoxigraph's
    results may be dropped only on the thread that made them, and ones returned out of ``anyio.run`` were dropped on
    the thread of an anyio worker as it ended, which held the run's task (``ecomap query`` warned, now and then)."""
    graph = answers_with_triples(text)
    accept = "application/n-triples" if graph else "application/sparql-results+json"
    return await (await store.answer(text, accept)).read(), graph


def results(data: bytes, graph: bool) -> ox.QuerySolutions | ox.QueryBoolean | ox.QuadParser:
    """What :func:`query` gave, as pyoxigraph's results."""
    if graph:
        return ox.parse(data, format=ox.RdfFormat.N_TRIPLES)
    return ox.parse_query_results(data, format=ox.QueryResultsFormat.JSON)
