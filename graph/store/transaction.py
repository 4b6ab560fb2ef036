"""A store's transactions: a batch of graph changes sent as one SPARQL Update request, which every SPARQL 1.1 store
applies atomically (Virtuoso aside: ``graph.store.dialect``), so a record is never seen half-replaced."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from graph.rdf.parsing import ProgressCallback, read_quads
from graph.rdf.query_text import iri


@dataclass
class Transaction:
    """A batch of graph changes applied together, or not at all."""

    operations: list[str] = field(default_factory=list)
    inserts: list[ox.Quad] = field(default_factory=list)
    _scopes: int = 0

    def add(self, quads: Iterable[ox.Quad]) -> None:
        """Add statements, keeping the graph each names.

        Blank nodes are scoped to one call, as they are to one file: ``_:b`` in two files is two nodes.
        """
        self._scopes += 1
        self.inserts.extend(_scoped(quads, self._scopes))

    def drop_graph(self, graph: str) -> None:
        self.operations.append(f"DROP SILENT GRAPH {iri(graph)}")

    def replace_graph(self, graph: str, triples: Iterable[ox.Triple | ox.Quad]) -> None:
        """Make ``graph`` hold exactly ``triples``: one record is replaced as a whole."""
        self.drop_graph(graph)
        name = ox.NamedNode(graph)
        self.add(ox.Quad(t.subject, t.predicate, t.object, name) for t in triples)

    def delete_description(self, graph: str, subject: str) -> None:
        """Remove everything ``graph`` says about ``subject``, such as one record's metadata."""
        self.operations.append(f"DELETE WHERE {{ GRAPH {iri(graph)} {{ {iri(subject)} ?p ?o }} }}")

    @property
    def only_adds(self) -> bool:
        return not self.operations

    def add_files(
        self,
        paths: Sequence[Path],
        base: str,
        *,
        graph: str | None = None,
        format_name: str | None = None,
        progress: ProgressCallback | None = None,
    ) -> int:
        """Add each file's statements (default-graph ones into ``graph`` if given); return how many there were."""
        target = ox.NamedNode(graph) if graph else None
        count = 0
        for path in paths:
            quads = list(read_quads(path, base_iri=base + "/", format_name=format_name, progress=progress))
            if target is not None:
                quads = [
                    ox.Quad(q.subject, q.predicate, q.object, target)
                    if isinstance(q.graph_name, ox.DefaultGraph)
                    else q
                    for q in quads
                ]
            self.add(quads)
            count += len(quads)
        return count

    def as_update(self) -> str:
        """The transaction as one SPARQL 1.1 Update request."""
        return " ;\n".join([*self.operations, *([_insert_data(self.inserts)] if self.inserts else [])])

    def as_updates(self, most_operations: int, most_statements: int) -> list[str]:
        """The transaction as several requests, none with more than ``most_operations`` drops and deletes or
        ``most_statements`` statements inserted: for a store that cannot compile a larger one and does not apply a
        request atomically anyway (Virtuoso). The statements with blank nodes stay in one request, so that each
        blank node stays one node."""
        plain = [q for q in self.inserts if not _blank(q)]
        blank = [q for q in self.inserts if _blank(q)]
        updates = [
            " ;\n".join(self.operations[i : i + most_operations])
            for i in range(0, len(self.operations), most_operations)
        ]
        updates += [_insert_data(plain[i : i + most_statements]) for i in range(0, len(plain), most_statements)]
        return updates + ([_insert_data(blank)] if blank else [])


def _scoped(quads: Iterable[ox.Quad], scope: int) -> Iterable[ox.Quad]:
    def blank(node: ox.BlankNode) -> ox.BlankNode:
        return ox.BlankNode(f"s{scope}x{node.value}")

    for q in quads:
        s, o = q.subject, q.object
        yield ox.Quad(
            blank(s) if isinstance(s, ox.BlankNode) else s,
            q.predicate,
            blank(o) if isinstance(o, ox.BlankNode) else o,
            q.graph_name,
        )


def _insert_data(quads: list[ox.Quad]) -> str:
    """``INSERT DATA`` for the statements without blank nodes, and an ``INSERT { … } WHERE {}`` for those with them
    (its one solution gives each blank node one fresh node, as ``INSERT DATA`` would): some stores (Virtuoso)
    refuse blank nodes in ``INSERT DATA``, and compile a template into code that grows with its size."""
    blank: list[ox.Quad] = []
    plain: list[ox.Quad] = []
    for q in quads:
        (blank if _blank(q) else plain).append(q)
    operations = [f"INSERT DATA {{\n{_quad_lines(plain)}\n}}"] if plain else []
    operations += [f"INSERT {{\n{_quad_lines(blank)}\n}} WHERE {{}}"] if blank else []
    return " ;\n".join(operations)


def _blank(quad: ox.Quad) -> bool:
    return isinstance(quad.subject, ox.BlankNode) or isinstance(quad.object, ox.BlankNode)


def _quad_lines(quads: list[ox.Quad]) -> str:
    """The statements as quad data, one ``GRAPH`` block per graph (Virtuoso cannot fill a template that names
    the same graph twice)."""
    graphs: dict[str, list[str]] = {}
    for q in quads:
        graphs.setdefault(str(q.graph_name), []).append(f"{q.subject} {q.predicate} {q.object} .")
    blocks = []
    for name, lines in graphs.items():
        triples = "\n".join(lines)
        blocks.append(triples if name == str(ox.DefaultGraph()) else f"GRAPH {name} {{\n{triples}\n}}")
    return "\n".join(blocks)
