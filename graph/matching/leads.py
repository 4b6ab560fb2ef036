"""Leads: pairs of organisations that the map does not link but probably should look at together, because their
activities are described alike, support or are about the same concepts, and happen in the same places.

A lead is a question for a person, not a fact: it is listed with its evidence and confirmed, if at all, by a
normal submission of a relationship. Nothing here writes to a store.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import anyio
import numpy as np

from graph.matching.neighbours import nearest
from graph.matching.text_vectors import SparseRows, TfIdf, embeddings
from graph.rdf.results import strings
from graph.store.interface import Store

# Every organisation's activities, with what they are about and where they happen, and every link already on the
# map (a relationship, a shared activity, a change of organisation, the ORG ontology's structure).
ACTIVITIES_QUERY = """SELECT ?organisation ?organisationLabel ?activity ?activityLabel ?description WHERE {
  ?activity a eco:Activity ; eco:runBy|eco:ledBy|eco:hostedBy|eco:participant ?organisation .
  ?organisation skos:prefLabel ?organisationLabel FILTER(LANG(?organisationLabel) IN ("en", ""))
  OPTIONAL { ?activity skos:prefLabel ?activityLabel FILTER(LANG(?activityLabel) IN ("en", "")) }
  OPTIONAL { ?activity dcterms:description ?description }
}"""
CONCEPTS_QUERY = """SELECT DISTINCT ?activity ?concept ?label WHERE {
  ?activity a eco:Activity ; eco:supports|dcterms:subject ?concept .
  ?concept skos:inScheme/a eco:SubjectScheme ; skos:prefLabel ?label FILTER(LANG(?label) IN ("en", ""))
}"""
PLACES_QUERY = """SELECT DISTINCT ?organisation ?area ?label ?type WHERE {
  { ?organisation eco:basedIn|eco:operatesIn ?place }
  UNION { ?activity eco:runBy|eco:ledBy|eco:hostedBy|eco:participant ?organisation ; dcterms:spatial ?place }
  ?place geo:sfWithin* ?area .
  ?area skos:prefLabel ?label ; dcterms:type ?type FILTER(LANG(?label) IN ("en", ""))
}"""
LINKED_QUERY = """SELECT DISTINCT ?a ?b WHERE {
  { ?link eco:fromOrganisation ?a ; eco:toOrganisation ?b }
  UNION { ?activity eco:runBy|eco:ledBy|eco:hostedBy|eco:participant ?a , ?b FILTER(?a != ?b) }
  UNION { ?change org:originalOrganization ?a ; org:resultingOrganization ?b FILTER(?a != ?b) }
  UNION { ?a org:subOrganizationOf|org:hasSubOrganization|org:unitOf|org:hasUnit|org:linkedTo ?b }
}"""

ORGANISATIONS_QUERY = "SELECT ?organisation WHERE { ?organisation a/rdfs:subClassOf* org:Organization }"

# Each query with the variables it reads, by name: ``Leads`` takes their rows (terms as strings) by the same names.
QUERIES = {
    "organisations": (ORGANISATIONS_QUERY, ("organisation",)),
    "activities": (ACTIVITIES_QUERY, ("organisation", "organisationLabel", "activity", "activityLabel", "description")),
    "concepts": (CONCEPTS_QUERY, ("activity", "concept", "label")),
    "places": (PLACES_QUERY, ("organisation", "area", "label", "type")),
    "linked": (LINKED_QUERY, ("a", "b")),
}

# How a lead's score is made, in [0, 1]: how alike the two organisations' most alike activities are described,
# how many concepts their activities share (two or more count fully), and whether they act in one place (a region,
# city or combined authority fully; a nation by half; Great Britain or the UK not at all).
ALIKE_WEIGHT, CONCEPTS_WEIGHT, PLACE_WEIGHT = 0.6, 0.25, 0.15
BROAD_PLACES = frozenset({"united-kingdom", "great-britain", "england-and-wales"})
NATIONS = frozenset({"country"})
# A pair is listed from this score, and only with evidence from its activities (alike, or sharing a concept).
LISTED_FROM = 0.2
# Each activity is compared with its most alike activities of other organisations only.
NEIGHBOURS = 20
# A concept shared by more organisations than this makes no lead by itself (it would pair everyone in a field),
# though it still counts for pairs found alike.
RARE_CONCEPT = 50
# Leads kept: the best of the whole map, and the best of each organisation.
MOST_LEADS, MOST_PER_ORGANISATION = 500, 10


@dataclass
class _Organisation:
    label: str
    activities: dict[str, tuple[str, str]] = field(default_factory=dict)  # IRI -> (label, description)
    concepts: dict[str, str] = field(default_factory=dict)  # IRI -> label
    areas: dict[str, tuple[str, str]] = field(default_factory=dict)  # IRI -> (label, place type)


@dataclass(frozen=True)
class Lead:
    organisations: tuple[str, str]
    labels: tuple[str, str]
    score: float
    alike: dict[str, Any] | None
    shared_concepts: list[dict[str, str]]
    shared_place: dict[str, str] | None

    def reasons(self) -> list[str]:
        said = []
        if self.alike:
            said.append(
                f"similar activities ({self.alike['likeness']:.2f} alike): “{self.alike['first']['label']}” and "
                f"“{self.alike['second']['label']}”"
            )
        if self.shared_concepts:
            said.append("both support or are about " + ", ".join(f"“{c['label']}”" for c in self.shared_concepts))
        if self.shared_place:
            said.append(f"both act in {self.shared_place['label']}")
        return said

    def as_json(self) -> dict[str, Any]:
        return {
            "organisations": [
                {"iri": iri, "label": label} for iri, label in zip(self.organisations, self.labels, strict=True)
            ],
            "score": self.score,
            "reasons": self.reasons(),
            "evidence": {
                "similar_activities": self.alike,
                "shared_concepts": self.shared_concepts,
                "shared_place": self.shared_place,
            },
        }


def _suffix(iri: str) -> str:
    return iri.rsplit("/", 1)[-1]


def _organisations(
    activities: Iterable[Mapping[str, str]], concepts: Iterable[Mapping[str, str]], places: Iterable[Mapping[str, str]]
) -> dict[str, _Organisation]:
    found: dict[str, _Organisation] = {}
    about: defaultdict[str, dict[str, str]] = defaultdict(dict)
    for row in concepts:
        about[row["activity"]][row["concept"]] = row["label"]
    for row in activities:
        organisation = found.setdefault(row["organisation"], _Organisation(row["organisationLabel"]))
        label = row.get("activityLabel") or _suffix(row["activity"])
        organisation.activities[row["activity"]] = (label, " ".join((row.get("description") or "").split()))
        organisation.concepts.update(about[row["activity"]])
    for row in places:
        if row["organisation"] in found and _suffix(row["type"]) not in BROAD_PLACES:
            found[row["organisation"]].areas[row["area"]] = (row["label"], _suffix(row["type"]))
    return found


@dataclass(frozen=True)
class _Alike:
    """For each pair of organisations with alike activities (``first * count + second``, the first the lower,
    ascending): how alike their most alike activities are, and which (indices into the activities)."""

    pairs: np.ndarray
    likeness: np.ndarray
    first_activity: np.ndarray
    second_activity: np.ndarray

    def of(self, pair: int) -> tuple[float, int, int] | None:
        at = int(np.searchsorted(self.pairs, pair))
        if at == len(self.pairs) or self.pairs[at] != pair:
            return None
        return float(self.likeness[at]), int(self.first_activity[at]), int(self.second_activity[at])


def _most_alike(organisations: list[_Organisation], activities: list[tuple[int, str]], exact: bool | None) -> _Alike:
    """Each activity's nearest activities of other organisations are found by the embedding half alone (256 numbers
    a text; ``graph.matching.neighbours``: exactly, or through an index on a large map), then scored as
    ``graph.matching.text_vectors`` compares texts: the mean of the embedding cosine and the TF-IDF cosine; the best
    pair of activities of each pair of organisations stands for it."""
    texts = [". ".join(organisations[owner].activities[iri]) for owner, iri in activities]
    if len(texts) < 2:
        empty = np.zeros(0, dtype=np.int64)
        return _Alike(empty, np.zeros(0, dtype=np.float32), empty, empty)
    owners = np.array([owner for owner, _ in activities], dtype=np.int64)
    rows, others, similar = nearest(embeddings(texts)(texts), owners, NEIGHBOURS, exact=exact)
    # Each pair of activities once, the lower first: activities come in their organisations' order, so the lower
    # activity's organisation is the lower too.
    low, high = np.minimum(rows, others), np.maximum(rows, others)
    _, once = np.unique(low * len(texts) + high, return_index=True)
    low, high, similar = low[once], high[once], similar[once]
    likeness = (similar + TfIdf(texts).sparse(texts).dots(low, high)) / 2
    # Each pair of organisations once, with its most alike pair of activities.
    pair = owners[low] * len(organisations) + owners[high]
    order = np.lexsort((-likeness, pair))
    best = order[np.concatenate([[True], pair[order][1:] != pair[order][:-1]])]
    return _Alike(pair[best], likeness[best], low[best], high[best])


class Leads:
    """The likely but unrecorded links of a map, best first: the best of the whole map, and of each organisation.

    Candidate pairs are kept in arrays, not objects (a map of 10^5 organisations has millions); a ``Lead``, with its
    evidence, is made only for a lead asked for."""

    def __init__(self, rows: Mapping[str, list[dict[str, str]]], *, exact: bool | None = None) -> None:
        """From the rows of ``QUERIES`` by name, terms as strings. ``exact`` compares every activity with every other
        whatever the map's size (``graph.matching.neighbours``)."""
        self.organisations = {row["organisation"] for row in rows["organisations"]}
        described = _organisations(rows["activities"], rows["concepts"], rows["places"])
        self._iris = sorted(described)
        self._described = [described[iri] for iri in self._iris]
        index = {iri: number for number, iri in enumerate(self._iris)}
        self._activities = [(index[iri], activity) for iri in self._iris for activity in described[iri].activities]
        self._alike = _most_alike(self._described, self._activities, exact)
        count = len(self._iris)
        holders: defaultdict[str, list[int]] = defaultdict(list)
        for number, organisation in enumerate(self._described):
            for concept in organisation.concepts:
                holders[concept].append(number)
        sharing = [
            a * count + b for held in holders.values() if len(held) <= RARE_CONCEPT for a, b in combinations(held, 2)
        ]
        known = [
            min(index[row["a"]], index[row["b"]]) * count + max(index[row["a"]], index[row["b"]])
            for row in rows["linked"]
            if row["a"] in index and row["b"] in index
        ]
        candidates = np.union1d(self._alike.pairs, np.array(sharing, dtype=np.int64))
        candidates = np.setdiff1d(candidates, np.array(known, dtype=np.int64))
        scores = self._scores_of(candidates)
        listed = scores >= LISTED_FROM
        candidates, scores = candidates[listed], np.round(scores[listed], 3)
        order = np.lexsort((candidates, -scores))  # best first; among equals, by the organisations' IRIs
        self._ranked, self._scores = candidates[order], scores[order]
        self.best = [self._lead(rank) for rank in range(min(MOST_LEADS, len(self._ranked)))]
        self._of = _best_of_each(self._ranked, count)

    def of(self, organisation: str | None, limit: int) -> list[Lead]:
        """The best ``limit`` leads of the map, or of one organisation (at most ``MOST_PER_ORGANISATION``)."""
        if organisation is None:
            return self.best[:limit]
        number = bisect_left(self._iris, organisation)
        if number == len(self._iris) or self._iris[number] != organisation:
            return []
        return [self._lead(int(rank)) for rank in self._of[number][:limit] if rank >= 0]

    def _scores_of(self, pairs: np.ndarray) -> np.ndarray:
        """How likely a lead each pair (``first * count + second``) is, in [0, 1], computed for all at once: see
        ``ALIKE_WEIGHT`` and the weights beside it."""
        count = len(self._iris)
        first, second = pairs // count, pairs % count
        at = np.searchsorted(self._alike.pairs, pairs)
        alike = at < len(self._alike.pairs)
        alike[alike] = self._alike.pairs[at[alike]] == pairs[alike]
        likeness = np.zeros(len(pairs))
        likeness[alike] = np.maximum(self._alike.likeness[at[alike]], 0.0)
        concepts = self._shared(first, second, lambda o: o.concepts)
        local = self._shared(first, second, lambda o: [a for a, (_, kind) in o.areas.items() if kind not in NATIONS])
        nations = self._shared(first, second, lambda o: [a for a, (_, kind) in o.areas.items() if kind in NATIONS])
        place = np.where(local > 0, 1.0, np.where(nations > 0, 0.5, 0.0))
        return ALIKE_WEIGHT * likeness + CONCEPTS_WEIGHT * np.minimum(1.0, concepts / 2) + PLACE_WEIGHT * place

    def _shared(
        self, first: np.ndarray, second: np.ndarray, chosen: Callable[[_Organisation], Iterable[str]]
    ) -> np.ndarray:
        """For each pair, how many of the things ``chosen`` gives of an organisation the two have in common."""
        numbers: dict[str, int] = {}
        rows = [{numbers.setdefault(iri, len(numbers)): 1.0 for iri in chosen(o)} for o in self._described]
        return SparseRows.of(rows, len(numbers)).dots(first, second)

    def _lead(self, rank: int) -> Lead:
        first, second = divmod(int(self._ranked[rank]), len(self._iris))
        one, other = self._described[first], self._described[second]
        alike = self._alike.of(int(self._ranked[rank]))
        evidence = None
        if alike:
            evidence = {
                "likeness": round(max(alike[0], 0.0), 3),
                "first": _activity(self._activities[alike[1]][1], one),
                "second": _activity(self._activities[alike[2]][1], other),
            }
        area = _shared_area(one, other)
        return Lead(
            (self._iris[first], self._iris[second]),
            (one.label, other.label),
            float(self._scores[rank]),
            evidence,
            [{"iri": iri, "label": one.concepts[iri]} for iri in sorted(one.concepts.keys() & other.concepts.keys())],
            {"iri": area, "label": one.areas[area][0]} if area else None,
        )


def _best_of_each(ranked: np.ndarray, count: int) -> np.ndarray:
    """For each of ``count`` organisations, the ranks of its best ``MOST_PER_ORGANISATION`` leads (-1 past its
    last), from the pairs ``ranked`` best first (``first * count + second``)."""
    organisations = np.concatenate([ranked // count, ranked % count])
    ranks = np.concatenate([np.arange(len(ranked)), np.arange(len(ranked))])
    order = np.lexsort((ranks, organisations))
    organisations, ranks = organisations[order], ranks[order]
    place = np.arange(len(ranks)) - np.searchsorted(organisations, organisations)
    kept = place < MOST_PER_ORGANISATION
    best = np.full((count, MOST_PER_ORGANISATION), -1, dtype=np.int64)
    best[organisations[kept], place[kept]] = ranks[kept]
    return best


def _shared_area(one: _Organisation, other: _Organisation) -> str | None:
    """The most local area both act in: a region or city before a nation."""
    areas = one.areas.keys() & other.areas.keys()
    return min(areas, key=lambda iri: (one.areas[iri][1] in NATIONS, one.areas[iri][0]), default=None)


def _activity(iri: str, organisation: _Organisation) -> dict[str, str]:
    label, description = organisation.activities[iri]
    return {"iri": iri, "label": label, "description": description}


async def read_leads(store: Store) -> Leads:
    """Every lead the map's current data gives (``QUERIES``), for the command line and the web app alike; found off
    the event loop, as it takes seconds on a large map."""
    rows = {name: strings(await store.solutions(query), names) for name, (query, names) in QUERIES.items()}
    return await anyio.to_thread.run_sync(lambda: Leads(rows))
