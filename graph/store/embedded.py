"""The store interface in this process: Oxigraph (pyoxigraph, on RocksDB), on disk or in memory.

Oxigraph's SPARQL engine is 15-110x faster than rdflib's on ecomap's queries and an on-disk store reopens
in milliseconds, so it is the store for the command line and the tests. Its ``bulk_load`` is fast but not
atomic, so bulk loads and rebases build a new generation of the store beside the old one and switch to it
only when it is complete (see :class:`StoreDirectory`): a killed load leaves the old store as it was.
"""

from __future__ import annotations

import io
import os
import shutil
import time
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from graph.rdf.formats import format_for, in_memory
from graph.rdf.parsing import LoadError, ProgressCallback, ProgressReader, located
from graph.store.interface import WHOLE, Answer, Dataset, Row, StoreError
from graph.store.threads import in_thread
from graph.store.transaction import Transaction


class StoreDirectory:
    """An on-disk store kept as generations under one folder, with a ``current`` link to the live one.

    Switching generations is one atomic rename of a symbolic link, so a reader opening the store sees
    either the old generation or the new one, never a half-built store.
    """

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def current(self) -> Path | None:
        link = self.root / "current"
        return self.root / link.readlink() if link.is_symlink() else None

    def ensure(self) -> Path:
        """The live generation, creating the folder and a first, empty generation if there is none."""
        if self.root.exists() and not self.root.is_dir():
            raise StoreError(f"{self.root} is a file, not a store folder")
        if self.current is None:
            if self.root.exists() and any(self.root.iterdir()):
                raise StoreError(
                    f"{self.root} is not an ecomap store (it has no 'current' generation); "
                    "choose an empty or new folder"
                )
            first = self.new_generation()
            first.mkdir(parents=True)
            self.publish(first)
        live = self.current
        assert live is not None  # there is one, or one was just published
        return live

    def new_generation(self) -> Path:
        return self.root / f"generation-{time.time_ns()}"

    def publish(self, generation: Path) -> None:
        """Make ``generation`` the live store, atomically, then remove older generations."""
        temporary = self.root / f".current-{os.getpid()}"
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(generation.name)
        temporary.replace(self.root / "current")
        _fsync_directory(self.root)
        self.remove_stale()

    def remove_stale(self) -> None:
        """Remove generations that are not live, such as one left by a load that was killed."""
        live = self.current
        for path in self.root.glob("generation-*"):
            if path != live:
                shutil.rmtree(path, ignore_errors=True)


def _fsync_directory(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class EmbeddedStore:
    """The store interface over pyoxigraph. Its calls run in worker threads, so that a long query does not hold an
    event loop; what only a store in this process can do (a bulk load into a new generation, a rebase, a read of each
    index) is here too."""

    def __init__(
        self, store: ox.Store, base: str, prefixes: Mapping[str, str], directory: StoreDirectory | None = None
    ) -> None:
        self._ox = store
        self.base = base
        # The prologue, as pyoxigraph takes it: so that a syntax error's line and column are the query's own.
        self._prefixes = dict(prefixes)
        self._directory = directory

    @classmethod
    def open(cls, path: Path, base: str, prefixes: Mapping[str, str]) -> EmbeddedStore:
        """Open (or create) the on-disk store at ``path``."""
        directory = StoreDirectory(path)
        live = directory.ensure()
        try:
            store = ox.Store(str(live))
        except OSError as error:
            raise StoreError(
                f"cannot open the store at {path}: {error}. Is another ecomap process (such as the server) using it?"
            ) from None
        except RuntimeError as error:  # RocksDB's checksums found damage
            raise StoreError(f"the store at {path} is damaged: {error}") from None
        # Only the process holding the live generation may tidy: another one may be building the next.
        directory.remove_stale()
        return cls(store, base, prefixes, directory)

    @classmethod
    def in_memory(cls, base: str, prefixes: Mapping[str, str]) -> EmbeddedStore:
        return cls(ox.Store(), base, prefixes)

    def _query(self, query: str, dataset: Dataset = WHOLE) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        defaults, named = dataset.default_graphs, dataset.named_graphs
        try:
            return self._ox.query(
                query,
                base_iri=self.base + "/",
                prefixes=self._prefixes,
                use_default_graph_as_union=not defaults,
                default_graph=[ox.NamedNode(g) for g in defaults] if defaults else None,
                named_graphs=[ox.NamedNode(g) for g in named] if named else None,
            )
        except SyntaxError as error:
            raise StoreError(f"The store refused the query: {error}", 400) from None
        except (OSError, RuntimeError) as error:
            raise StoreError(f"the store could not answer: {error}") from None

    async def answer(self, query: str, accept: str, dataset: Dataset = WHOLE, *, trusted: bool = True) -> Answer:
        def serialised() -> bytes:
            result = self._query(query, dataset)
            if isinstance(result, ox.QueryTriples):
                return in_memory(ox.serialize(result, format=_format(ox.RdfFormat, accept)))
            return in_memory(result.serialize(format=_format(ox.QueryResultsFormat, accept)))

        return Answer(accept, await in_thread(serialised))

    async def solutions(self, query: str) -> list[Row]:
        def rows() -> list[Row]:
            result = self._query(query)
            if not isinstance(result, ox.QuerySolutions):
                raise StoreError("The query is not a SELECT.", 400)
            names = [v.value for v in result.variables]
            return [{name: row[name] for name in names if row[name] is not None} for row in result]

        return await in_thread(rows)

    async def triples(self, query: str) -> list[ox.Triple]:
        def read() -> list[ox.Triple]:
            result = self._query(query)
            if not isinstance(result, ox.QueryTriples):
                raise StoreError("The query is not a CONSTRUCT or DESCRIBE.", 400)
            return list(result)

        return await in_thread(read)

    async def ask(self, query: str) -> bool:
        return await in_thread(lambda: bool(self._query(query)))

    async def named_graph(self, graph: str) -> list[ox.Triple]:
        def read() -> list[ox.Triple]:
            return [
                ox.Triple(q.subject, q.predicate, q.object)
                for q in self._ox.quads_for_pattern(None, None, None, ox.NamedNode(graph))
            ]

        return await in_thread(read)

    async def update(self, update: str) -> None:
        def apply() -> None:
            try:
                self._ox.update(update, base_iri=self.base + "/", prefixes=self._prefixes)
            except SyntaxError as error:
                raise StoreError(f"The store refused the change: {error}. Nothing was changed.", 502) from None
            self._ox.flush()

        await in_thread(apply)

    async def commit(self, transaction: Transaction) -> None:
        def apply() -> None:
            if transaction.only_adds:
                self._ox.extend(transaction.inserts)
            else:
                try:
                    self._ox.update(transaction.as_update())
                except SyntaxError as error:
                    raise StoreError(f"The store refused the change: {error}. Nothing was changed.", 502) from None
            self._ox.flush()

        await in_thread(apply)

    async def dump(self) -> AsyncIterator[bytes]:
        yield await in_thread(lambda: in_memory(self._ox.dump(format=ox.RdfFormat.N_QUADS)))

    async def graph_names(self) -> list[str]:
        return await in_thread(lambda: sorted(g.value for g in self._ox.named_graphs() if isinstance(g, ox.NamedNode)))

    async def count(self) -> int:
        return await in_thread(lambda: len(self._ox))  # a scan of the whole store

    async def verify(self) -> int:
        return await in_thread(self._verify)

    async def ready(self) -> bool:
        return True

    async def close(self) -> None:
        """Flush, and let go of the store: RocksDB's lock on the folder goes with the last reference to it, so another
        process may open the folder at once, whatever still refers to this object (a traceback, say)."""
        self._ox.flush()
        del self._ox

    def bulk_load(
        self,
        paths: Sequence[Path],
        graph: str | None,
        format_name: str | None,
        progress: ProgressCallback | None,
        then: str,
    ) -> int:
        """Load the files into a new generation of the store, which goes live, with the update ``then`` applied, only
        if all of them load; return how many statements they added."""
        before = len(self._ox)
        with self._new_generation(copy=True) as fresh:
            for path in paths:
                rdf_format = format_for(path, format_name)
                try:
                    with path.open("rb") as raw:
                        source = io.BufferedReader(ProgressReader(raw, progress)) if progress else raw
                        fresh.bulk_load(
                            source,
                            format=rdf_format,
                            base_iri=self.base + "/",
                            to_graph=ox.NamedNode(graph) if graph else None,
                        )
                except SyntaxError as error:
                    raise located(path, error) from None
                except FileNotFoundError:
                    raise LoadError(f"{path}: no such file") from None
            loaded = len(fresh) - before
            fresh.update(then)  # goes live with the data, in the same generation
        return loaded

    @contextmanager
    def _new_generation(self, *, copy: bool) -> Iterator[ox.Store]:
        """Yield a new generation (a copy of the live store, or empty); it goes live only if the block completes.
        It is flushed, not compacted: compaction rewrote the bulk loader's compressed files uncompressed, twice the
        size on disk, and no query was faster for it (bench/README.md)."""
        if self._directory is None:
            raise StoreError("bulk loading and rebasing need an on-disk store")
        generation = self._directory.new_generation()
        if copy:
            self._ox.flush()
            self._ox.backup(str(generation))
        fresh = ox.Store(str(generation))
        try:
            yield fresh
            fresh.flush()
        except BaseException:
            del fresh
            shutil.rmtree(generation, ignore_errors=True)
            raise
        self._ox = fresh  # the old generation closes here, before publishing removes it
        self._directory.publish(generation)

    def replace_all(self, quads: Iterator[ox.Quad], base: str, prefixes: Mapping[str, str]) -> None:
        """Swap the whole content for ``quads`` under a new ``base``, atomically (used by rebase)."""
        with self._new_generation(copy=False) as fresh:
            fresh.bulk_extend(quads)
        self.base = base
        self._prefixes = dict(prefixes)

    def quads(self) -> Iterator[ox.Quad]:
        return iter(self._ox)

    def _verify(self) -> int:
        """Read the whole store through each of Oxigraph's indexes (by subject, predicate, object and graph, and
        by graph with predicate and with object), so that damage in any one of them (RocksDB checks each block's
        checksum as it reads it) is found now rather than by a later query; each must give every statement."""
        try:
            every = list(self._ox)
            total = len(every)
            parts = (
                {(q.subject, None, None, None) for q in every},
                {(None, q.predicate, None, None) for q in every},
                {(None, None, q.object, None) for q in every},
                {(None, None, None, q.graph_name) for q in every},
                {(None, q.predicate, None, q.graph_name) for q in every},
                {(None, None, q.object, q.graph_name) for q in every},
            )
            for patterns in parts:
                read = sum(1 for pattern in patterns for _ in self._ox.quads_for_pattern(*pattern))
                if read != total:
                    raise StoreError(f"the store is damaged: one index holds {read} statements, another {total}")
        except (OSError, RuntimeError) as error:
            raise StoreError(f"the store is damaged: {error}") from None
        return total


def _format(kind: type[ox.RdfFormat] | type[ox.QueryResultsFormat], media_type: str) -> Any:
    """The format of ``kind`` that ``media_type`` names; a media type the query's answer cannot take is refused."""
    found = kind.from_media_type(media_type)
    if found is None:
        raise StoreError(f"This query cannot answer as {media_type}.", 400)
    return found
