"""What a moderator needs to decide: what a submission would change, and whether it duplicates an
organisation already on the map."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import SequenceMatcher
from urllib.parse import urlsplit

import pyoxigraph as ox

from graph.namespaces import ORGANISATION_CLASSES, STANDARD

NAME_NOISE = re.compile(r"\b(the|ltd|limited|llp|plc|cic)\b|[^\w\s]")


@dataclass(frozen=True)
class Change:
    graph: str
    exists: bool
    added: list[str]
    removed: list[str]


@dataclass(frozen=True)
class Duplicate:
    submitted: str
    candidate: str
    reason: str


def changes(records: Mapping[str, list[ox.Triple]], current: Mapping[str, list[ox.Triple]]) -> list[Change]:
    """For each record, the statements approval would add and remove (as N-Triples lines)."""
    result = []
    for graph, triples in sorted(records.items()):
        new = {str(t) for t in triples}
        old = {str(t) for t in current.get(graph, [])}
        result.append(Change(graph, graph in current, sorted(new - old), sorted(old - new)))
    return result


def current_records_query(graphs: Iterable[str]) -> str:
    values = " ".join(f"<{g}>" for g in sorted(graphs))
    return f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"


ORGANISATIONS_QUERY = f"""SELECT ?organisation ?name ?homepage ?number WHERE {{
  ?organisation a ?class ; <{STANDARD["skos"]}prefLabel> ?name .
  VALUES ?class {{ {" ".join(f"<{c}>" for c in sorted(ORGANISATION_CLASSES))} }}
  OPTIONAL {{ ?organisation <{STANDARD["foaf"]}homepage> ?homepage }}
  OPTIONAL {{ ?organisation <{STANDARD["adms"]}identifier>/<{STANDARD["skos"]}notation> ?number }}
}}"""


def normalised(name: str) -> str:
    return " ".join(NAME_NOISE.sub(" ", name.lower()).split())


def host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


def duplicates(
    triples: list[ox.Triple], existing: Iterable[Mapping[str, ox.NamedNode | ox.Literal]]
) -> list[Duplicate]:
    """Organisations in ``triples`` that match one already on the map by registry number, website or name."""
    rdf_type, label = STANDARD["rdf"] + "type", STANDARD["skos"] + "prefLabel"
    submitted = {
        t.subject.value for t in triples if t.predicate.value == rdf_type and t.object.value in ORGANISATION_CLASSES
    }
    names: dict[str, set[str]] = {s: set() for s in submitted}
    homes: dict[str, set[str]] = {s: set() for s in submitted}
    numbers: dict[str, set[str]] = {s: set() for s in submitted}
    identifiers = {t.subject.value: t.object for t in triples if t.predicate.value == STANDARD["skos"] + "notation"}
    for t in triples:
        if t.subject.value not in submitted:
            continue
        if t.predicate.value == label:
            names[t.subject.value].add(t.object.value)
        elif t.predicate.value == STANDARD["foaf"] + "homepage":
            homes[t.subject.value].add(host(t.object.value))
        elif t.predicate.value == STANDARD["adms"] + "identifier" and t.object.value in identifiers:
            numbers[t.subject.value].add(str(identifiers[t.object.value]))
    found: dict[tuple[str, str], str] = {}
    for row in existing:
        candidate = row["organisation"].value
        for org in submitted - {candidate}:
            if "number" in row and str(row["number"]) in numbers[org]:
                found[(org, candidate)] = f"the same registry number, {row['number'].value}"
            elif "homepage" in row and host(row["homepage"].value) in homes[org] - {""}:
                found.setdefault((org, candidate), f"the same website, {host(row['homepage'].value)}")
            elif any(_alike(name, row["name"].value) for name in names[org]):
                found.setdefault((org, candidate), f"a near-identical name, {row['name'].value!r}")
    return [Duplicate(org, candidate, reason) for (org, candidate), reason in sorted(found.items())]


def _alike(a: str, b: str) -> bool:
    a, b = normalised(a), normalised(b)
    return bool(a) and (a == b or SequenceMatcher(None, a, b).ratio() >= 0.9)
