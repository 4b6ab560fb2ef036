"""Validating records against ecomap's SHACL shapes with pySHACL, and reading the results for people.

Validation sees the data together with the ontology, the reused axioms, the vocabularies and the places
(so classes and controlled values can be checked) and, when a store is given, the types of things the
data refers to but does not describe (so a relationship to a known organisation is valid, and one to an
unknown organisation is not). pySHACL's own ``ont_graph`` would mix in only class definitions, not the
vocabularies, so the union is built here; results are kept only for what the data itself describes.
The shapes use SHACL core only: one SHACL-SPARQL constraint makes a large validation ten times slower.

The union is not rebuilt for each validation: the data is added to one graph that holds the context, and taken
out again afterwards: copying the context (1,400 statements) took a fifth of a small submission's validation.
Nor are the context's own concepts and places checked each time, which took most of the rest: the shapes are used
with their targets (``sh:targetClass`` and the like) replaced by the things the data describes that they target
(``sh:targetNode``). pySHACL's own ``focus_nodes`` would not do: it also drops the values an ``sh:node`` constraint
checks, so a kind of organisation outside the list would pass.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pyshacl
import rdflib
from rdflib.namespace import FOAF, RDF, RDFS, SH, SKOS, XSD

from graph.catalogue import ROOT, context_files, shape_files
from graph.rdf.query_text import iri_batches
from graph.rdf.terms import Term
from graph.store.interface import Store


class _PartialDate(str):
    """An xsd:gYearMonth or xsd:gYear, ordered at the precision the two compared values share.

    "2022" is then neither before nor after "2022-03", while "2022-05" is after "2022-03": an end date is
    before a start date only if it is before it at the precision both give.
    """

    def _shared(self, other: str) -> tuple[str, str]:
        n = min(len(self), len(other))
        return str(self)[:n], str(other)[:n]

    def __le__(self, other: str) -> bool:
        a, b = self._shared(other)
        return a <= b

    def __lt__(self, other: str) -> bool:
        a, b = self._shared(other)
        return a < b

    def __ge__(self, other: str) -> bool:
        a, b = self._shared(other)
        return a >= b

    def __gt__(self, other: str) -> bool:
        a, b = self._shared(other)
        return a > b


def _partial_date(pattern: str) -> Callable[[str], _PartialDate]:
    form = re.compile(pattern)

    def parse(lexical: str) -> _PartialDate:
        if not form.fullmatch(lexical):
            raise ValueError(f"{lexical!r} is not of the form {pattern}")
        return _PartialDate(lexical)

    return parse


# rdflib gives xsd:gYear and xsd:gYearMonth no value, and pySHACL's sh:lessThanOrEquals then raises when
# it compares them. ecomap keeps dates at the precision its sources give, so these two types get the
# ordering above; a malformed one is still ill-typed. An xsd:date keeps rdflib's own value (pySHACL checks
# it is a real calendar day), so it cannot be compared with a year or a month: SHACL reports that pair.
for _datatype, _pattern in (
    (XSD.gYearMonth, r"\d{4}-(0[1-9]|1[0-2])"),
    (XSD.gYear, r"\d{4}"),
):
    rdflib.term.bind(_datatype, _PartialDate, constructor=_partial_date(_pattern), datatype_specific=True)

ORG = rdflib.Namespace("http://www.w3.org/ns/org#")
ROV = rdflib.Namespace("http://www.w3.org/ns/regorg#")


@dataclass(frozen=True)
class Finding:
    """One validation result, in the words a contributor needs to fix it."""

    severity: str
    focus: str
    record: str
    record_label: str
    field: str
    path: str | None
    value: str | None
    message: str
    shape: str


@dataclass(frozen=True)
class Report:
    findings: list[Finding]
    graph: rdflib.Graph

    @property
    def violations(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Violation"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "Warning"]

    @property
    def conforms(self) -> bool:
        """Warnings make a record weak, not unusable: only violations stop it."""
        return not self.violations

    def for_subjects(self, subjects: set[str]) -> Report:
        """Every violation, and the warnings about ``subjects`` only: what a contributor sent, not what the records it
        adds to already lacked."""
        return replace(self, findings=[f for f in self.findings if f.severity == "Violation" or f.focus in subjects])


class Validator:
    """Validates data against the shapes; build it once per process, it holds the parsed shapes."""

    def __init__(self, base: str, shapes: rdflib.Graph, context: rdflib.Graph) -> None:
        self.base = base
        self.shapes = shapes
        self.context = context
        self._seen = _Lent(context)
        self._targets = [triple for triple in shapes if triple[1] in TARGETS]
        self._targeted = _Lent(triple for triple in shapes if triple[1] not in TARGETS)
        # One validation at a time has its data in ``_seen`` and its targets in ``_targeted``: pySHACL holds the GIL.
        self._lock = threading.Lock()
        eco = rdflib.Namespace(f"{base}/def/ecosystem/")
        # Things that head a record: a validation result about a part (an identifier, a post) is
        # reported under the organisation or person it belongs to.
        self._record_classes = {
            ORG.Organization,
            ORG.FormalOrganization,
            ORG.OrganizationalUnit,
            ROV.RegisteredOrganization,
            FOAF.Person,
            eco.Activity,
            eco.Relationship,
            eco.Strategy,
        }

    @classmethod
    def from_repository(cls, base: str, root: Path = ROOT) -> Validator:
        return _repository_validator(base, root)

    def validate(self, data: rdflib.Graph, known: rdflib.Graph | None = None) -> Report:
        """Validate ``data``; results are reported only for things ``data`` itself describes.

        ``known`` holds the types of things ``data`` refers to that the store already has (see
        :func:`known_things`), so that a reference to a known organisation is valid.
        """
        described = set(data.subjects())
        added = (triple for graph in (data, known) if graph is not None for triple in graph)
        with (
            self._lock,
            self._seen.holding(added) as seen,
            self._targeted.holding(self._aimed(seen, described)) as shapes,
        ):
            _, results, _ = pyshacl.validate(
                seen, shacl_graph=shapes, inference="none", allow_warnings=True, advanced=False
            )
            findings = [
                self._finding(results, result, seen)
                for result in results.objects(None, SH.result)
                if results.value(result, SH.focusNode) in described
            ]
        findings.sort(key=lambda f: (f.record_label.lower(), f.record, f.severity != "Violation", f.field))
        return Report(findings, results)

    def _aimed(self, seen: rdflib.Graph, described: set[rdflib.term.Node]) -> Iterator[Triple]:
        """Each shape's targets among the things the data describes, as ``sh:targetNode`` statements."""
        for shape, kind, target in self._targets:
            if kind == SH.targetClass:
                found = {
                    node
                    for cls in seen.transitive_subjects(RDFS.subClassOf, target)
                    for node in seen.subjects(RDF.type, cls)
                }
            elif kind == SH.targetSubjectsOf:
                found = set(seen.subjects(target, None))
            elif kind == SH.targetObjectsOf:
                found = set(seen.objects(None, target))
            else:
                found = {target}
            for node in found & described:
                yield shape, SH.targetNode, node

    def _finding(self, results: rdflib.Graph, result: rdflib.term.Node, seen: rdflib.Graph) -> Finding:
        focus = results.value(result, SH.focusNode)
        path = results.value(result, SH.resultPath)
        value = results.value(result, SH.value)
        shape = results.value(result, SH.sourceShape)
        severity = results.value(result, SH.resultSeverity)
        assert focus is not None  # every validation result has a focus node
        owner = self._owner(seen, focus)
        field = self.shapes.value(shape, SH.name) if shape is not None else None
        return Finding(
            severity=str(severity).rsplit("#", 1)[-1],
            focus=str(focus),
            record=str(owner),
            record_label=_label(seen, owner) or self.show(owner),
            field=str(field) if field else (self.show(path) if isinstance(path, rdflib.URIRef) else "record"),
            path=str(path) if isinstance(path, rdflib.URIRef) else None,
            value=None if value is None or (value == focus and path is None) else self.show(value),
            message=str(results.value(result, SH.resultMessage) or ""),
            shape=str(shape),
        )

    def _owner(self, graph: rdflib.Graph, node: rdflib.term.Node) -> rdflib.term.Node:
        """The record a result belongs to: the node itself, or the record thing that points to it."""
        for candidate in (node, *graph.subjects(None, node)):
            if set(graph.objects(candidate, RDF.type)) & self._record_classes:
                return candidate
        return node

    def show(self, node: rdflib.term.Node | None) -> str:
        """A node as a person reads it: literals in quotes, ecomap's IRIs relative to the base."""
        if node is None:
            return ""
        if isinstance(node, rdflib.Literal):
            return f'"{node}"' + (f"@{node.language}" if node.language else "")
        if isinstance(node, rdflib.URIRef) and str(node).startswith(self.base + "/"):
            return f"<{str(node)[len(self.base) + 1 :]}>"
        return f"<{node}>" if isinstance(node, rdflib.URIRef) else f"_:{node}"


Triple = tuple[rdflib.term.Node, rdflib.term.Node, rdflib.term.Node]
# The ways SHACL core says what a shape applies to (the shapes declare no class as a shape, the implicit target).
TARGETS = {SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.targetNode}


class _Lent:
    """A graph kept for the life of the process, lent with statements added for one use and taken out after it.

    rdflib's in-memory store keeps a term's index entry when its last statement is removed, so what was lent leaves
    its terms behind: the graph is made afresh once the statements lent since it was made weigh ``RENEW_AFTER`` (a
    statement weighs one, and one more for each kilobyte of its value), so that at most that much is ever left."""

    RENEW_AFTER = 10_000

    def __init__(self, triples: Iterable[Triple]) -> None:
        self._kept = list(triples)
        self._graph = self._made()
        self._lent = 0

    def _made(self) -> rdflib.Graph:
        graph = rdflib.Graph()
        for triple in self._kept:
            graph.add(triple)
        return graph

    @contextmanager
    def holding(self, triples: Iterable[Triple]) -> Iterator[rdflib.Graph]:
        added = {triple for triple in triples if triple not in self._graph}
        for triple in added:
            self._graph.add(triple)
        try:
            yield self._graph
        finally:
            for triple in added:
                self._graph.remove(triple)
            self._lent += sum(1 + len(str(value)) // 1024 for _, _, value in added)
            if self._lent > self.RENEW_AFTER:
                self._graph, self._lent = self._made(), 0

    def __iter__(self) -> Iterator[Triple]:
        return iter(self._graph)


@cache
def _repository_validator(base: str, root: Path) -> Validator:
    public_id = base + "/"
    shapes = rdflib.Graph()
    for path in shape_files(root):
        shapes.parse(path, format="turtle", publicID=public_id)
    context = rdflib.Graph()
    for path in context_files(root):
        context.parse(path, format="turtle", publicID=public_id)
    return Validator(base, shapes, context)


def referenced_iris(data: rdflib.Graph) -> set[str]:
    """The IRIs ``data`` refers to without describing them."""
    described = set(data.subjects(RDF.type, None))
    return {str(o) for o in data.objects() if isinstance(o, rdflib.URIRef) and o not in described}


def known_things_queries(iris: set[str]) -> list[str]:
    """The types of these things in the store."""
    return [f"SELECT ?s ?t WHERE {{ VALUES ?s {{ {block} }} ?s a ?t }}" for block in iri_batches(iris)]


def known_from_rows(rows: Iterable[Mapping[str, Term]]) -> rdflib.Graph:
    known = rdflib.Graph()
    for row in rows:
        known.add((rdflib.URIRef(row["s"].value), RDF.type, rdflib.URIRef(row["t"].value)))
    return known


async def known_things(data: rdflib.Graph, store: Store) -> rdflib.Graph:
    """The types, from ``store``, of things ``data`` refers to without describing them."""
    queries = known_things_queries(referenced_iris(data))
    return known_from_rows([row for query in queries for row in await store.solutions(query)])


def _label(graph: rdflib.Graph, node: rdflib.term.Node) -> str | None:
    labels = list(graph.objects(node, SKOS.prefLabel)) + list(graph.objects(node, FOAF.name))
    labels += list(graph.objects(node, RDFS.label))
    english = [str(label) for label in labels if getattr(label, "language", None) in ("en", None)]
    texts = english or [str(label) for label in labels]
    return texts[0] if texts else None
