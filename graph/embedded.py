"""The embedded store: Oxigraph (pyoxigraph, on RocksDB) in this process, on disk or in memory.

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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from graph.formats import format_for
from graph.identity import Identity
from graph.metadata import describe_loaded, stored_base
from graph.namespaces import prefixes
from graph.parsing import LoadError, ProgressCallback, ProgressReader, located
from graph.store import QueryResult, StoreError, Term, Transaction
from graph.version import bump_update, without_version

QUAD_FORMATS = (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG)


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
        return self.current  # type: ignore[return-value]

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
    """ecomap's store interface over pyoxigraph."""

    def __init__(self, store: ox.Store, base: str, directory: StoreDirectory | None = None) -> None:
        self._ox = store
        self.base = base
        self._directory = directory
        self._prefixes = prefixes(base)

    @classmethod
    def open(cls, path: Path, base: str) -> EmbeddedStore:
        """Open (or create) the on-disk store at ``path``; its recorded base must be ``base``."""
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
        try:
            recorded = stored_base(store)
        except RuntimeError as error:
            raise StoreError(f"the store at {path} is damaged: {error}") from None
        if recorded is not None and recorded != base:
            raise StoreError(
                f"the store at {path} was created with base URI {recorded}, not {base}. "
                f"Set ECOMAP_BASE_URI={recorded}, or move the store with: ecomap rebase {recorded} {base}"
            )
        return cls(store, base, directory)

    @classmethod
    def in_memory(cls, base: str) -> EmbeddedStore:
        return cls(ox.Store(), base)

    @property
    def stored_base(self) -> str | None:
        return stored_base(self._ox)

    def query(self, sparql: str, *, bindings: Mapping[str, Term] | None = None) -> QueryResult:
        return self._ox.query(
            sparql,
            base_iri=self.base + "/",
            prefixes=self._prefixes,
            use_default_graph_as_union=True,
            substitutions={ox.Variable(k): v for k, v in (bindings or {}).items()},
        )

    def commit(self, transaction: Transaction) -> None:
        if transaction.only_adds:
            self._ox.extend(transaction.inserts)
        else:
            self._ox.update(transaction.as_update())
        self._ox.flush()

    def load(
        self,
        paths: Sequence[Path],
        *,
        graph: str | None = None,
        format_name: str | None = None,
        bulk: bool = False,
        progress: ProgressCallback | None = None,
    ) -> int:
        if bulk:
            return self._bulk_load(paths, graph, format_name, progress)
        transaction = Transaction()
        count = transaction.add_files(paths, self.base, graph=graph, format_name=format_name, progress=progress)
        transaction.inserts = without_version(transaction.inserts, self.base)
        transaction.operations += describe_loaded(Identity(self.base), transaction.inserts, datetime.now(UTC))
        transaction.operations.append(bump_update(self.base))  # loading changes the public data
        self.commit(transaction)
        return count

    def _bulk_load(
        self, paths: Sequence[Path], graph: str | None, format_name: str | None, progress: ProgressCallback | None
    ) -> int:
        before = len(self)
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
            fresh.update(bump_update(self.base))  # goes live with the data, in the same generation
        return loaded

    @contextmanager
    def _new_generation(self, *, copy: bool) -> Iterator[ox.Store]:
        """Yield a new generation (a copy of the live store, or empty); it goes live only if the block completes."""
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
            fresh.optimize()
        except BaseException:
            del fresh
            shutil.rmtree(generation, ignore_errors=True)
            raise
        self._ox = fresh  # the old generation closes here, before publishing removes it
        self._directory.publish(generation)

    def replace_all(self, quads: Iterator[ox.Quad], base: str) -> None:
        """Swap the whole content for ``quads`` under a new ``base``, atomically (used by rebase)."""
        with self._new_generation(copy=False) as fresh:
            fresh.bulk_extend(quads)
        self.base = base
        self._prefixes = prefixes(base)

    def quads(self) -> Iterator[ox.Quad]:
        return iter(self._ox)

    def export(self, output: IO[bytes], rdf_format: ox.RdfFormat) -> None:
        if rdf_format in QUAD_FORMATS:
            self._ox.dump(output, rdf_format, prefixes=self._prefixes)
            return
        triples = self._ox.query("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", use_default_graph_as_union=True)
        ox.serialize(triples, output, rdf_format, prefixes=self._prefixes)

    def verify(self) -> int:
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

    def graph_names(self) -> list[str]:
        return sorted(g.value for g in self._ox.named_graphs() if isinstance(g, ox.NamedNode))

    def __len__(self) -> int:
        return len(self._ox)
