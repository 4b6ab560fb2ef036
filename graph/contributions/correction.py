"""A correction made through the form, merged with the published record so that it loses nothing.

The form shows some properties of an organisation and of a few of its activities, as template columns. What it
showed, it replaces; everything else in the published record (other types, alternative names, editorial
judgements, where registry numbers come from, further activities) is carried over, unless it only described
something the correction took away, such as the identifier of a changed registry number.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pyoxigraph as ox

from graph.contributions.template import Column
from graph.rdf.terms import Subject, Term, as_subject, as_term, value_of

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
ACTIVITY = "/def/ecosystem/Activity"


@dataclass
class Shown:
    """The values the form shows for one subject, by column, and the published statements they stand for."""

    values: dict[str, list[str]] = field(default_factory=dict)
    statements: set[ox.Triple] = field(default_factory=set)


def shown(published: list[ox.Triple], subject: Subject, record: str, columns: list[Column], base: str) -> Shown:
    """What of the published record the form shows for `subject`, a record of kind `record`."""
    about: dict[Subject, list[ox.Triple]] = defaultdict(list)
    for triple in published:
        about[as_subject(triple.subject)].append(triple)
    result = Shown(values=defaultdict(list))
    for column in columns:
        if record not in column.records:
            continue
        for triple in about[subject]:
            if triple.predicate.value != column.path:
                continue
            value = _value(column, as_term(triple.object), about, base)
            if value is not None:
                result.values[column.name].append(value)
                result.statements.add(triple)
    result.values = dict(result.values)
    return result


def _value(column: Column, obj: Term, about: dict[Subject, list[ox.Triple]], base: str) -> str | None:
    if column.kind in ("name", "welsh-name", "text"):
        wanted = "cy" if column.kind == "welsh-name" else "en"
        return obj.value if isinstance(obj, ox.Literal) and (obj.language or "en") == wanted else None
    if isinstance(obj, ox.Literal):
        return None
    if column.kind == "identifier":
        numbers = [
            t.object.value
            for t in about.get(obj, [])
            if isinstance(t.object, ox.Literal) and t.object.datatype.value.endswith(f"/{column.register}")
        ]
        return numbers[0] if numbers else None
    if column.kind == "concept":  # a value the form cannot offer is not shown, so it is carried over
        value = obj.value.removeprefix(f"{base}/def/{column.scheme}/" if column.scheme else f"{base}/def/")
        return value if value in column.values else None
    if column.kind == "place":
        return obj.value.rsplit("/", 1)[-1]
    return obj.value.removeprefix(base + "/")


def activities(published: list[ox.Triple]) -> list[ox.NamedNode]:
    """The activities in a published organisation record, in a stable order."""
    found = {
        t.subject
        for t in published
        if t.predicate.value == RDF + "type"
        and value_of(t.object).endswith(ACTIVITY)
        and isinstance(t.subject, ox.NamedNode)
    }
    return sorted(found, key=lambda node: node.value)


def carry_over(published: list[ox.Triple], replaced: set[ox.Triple], proposed: list[ox.Triple]) -> list[ox.Triple]:
    """The proposed statements, with each published statement the form did not show and that still describes
    something in the record."""
    edited = {t.subject for t in proposed}
    result = set(proposed) | {t for t in published if t.subject in edited and t not in replaced}
    kept = {t.subject for t in result}
    others: dict[Subject, list[ox.Triple]] = defaultdict(list)
    for triple in published:
        if triple.subject not in kept:
            others[as_subject(triple.subject)].append(triple)
    changed = True
    while changed:
        changed = False
        referenced = {t.object for t in result}
        for node, statements in list(others.items()):
            linked = node in referenced or any(t.object in kept for t in statements)
            if linked and _asserted(statements, result):
                result.update(statements)
                kept.add(node)
                del others[node]
                changed = True
    return sorted(result, key=str)


def _asserted(statements: list[ox.Triple], result: set[ox.Triple]) -> bool:
    """False for a reified statement (such as an editor's judgement) whose statement is no longer made."""
    parts = {t.predicate.value.removeprefix(RDF): t.object for t in statements if t.predicate.value.startswith(RDF)}
    if not {"subject", "predicate", "object"} <= parts.keys():
        return True
    subject, predicate = parts["subject"], parts["predicate"]
    if not isinstance(subject, ox.NamedNode | ox.BlankNode) or not isinstance(predicate, ox.NamedNode):
        return False
    return ox.Triple(subject, predicate, parts["object"]) in result
