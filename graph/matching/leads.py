"""Leads: pairs of organisations that the map does not link but probably should look at together, because their
activities are described alike, support or are about the same concepts, and happen in the same places.

A lead is a question for a person, not a fact: it is listed with its evidence and confirmed, if at all, by a
normal submission of a relationship. Nothing here writes to a store.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

import anyio
import numpy as np

from graph.matching.text_vectors import TfIdf, embeddings
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


def _most_alike(organisations: dict[str, _Organisation]) -> dict[tuple[str, str], tuple[float, str, str]]:
    """For each pair of organisations with alike activities: how alike their most alike pair of activities is.

    Each activity's nearest activities of other organisations are found by the embedding half alone (256 numbers
    a text, so that the all-against-all product stays cheap), then scored as ``graph.matching.text_vectors`` compares
    texts: the mean of the embedding cosine and the TF-IDF cosine, the latter from each text's few non-zero weights."""
    described = [
        (iri, activity, f"{label}. {description}")
        for iri, organisation in organisations.items()
        for activity, (label, description) in organisation.activities.items()
    ]
    if len(described) < 2:
        return {}
    texts = [text for _, _, text in described]
    meanings = embeddings(texts)(texts)
    lexical = TfIdf(texts)
    words = [lexical.weights(text) for text in texts]
    owners = [iri for iri, _, _ in described]
    best: dict[tuple[str, str], tuple[float, str, str]] = {}
    for start in range(0, len(described), 512):
        for row, similar in enumerate(meanings[start : start + 512] @ meanings.T):
            i = start + row
            wanted = min(NEIGHBOURS + len(organisations[owners[i]].activities), len(similar) - 1)
            for j in np.argpartition(-similar, wanted)[: wanted + 1].tolist():
                if owners[j] == owners[i]:
                    continue
                pair = (owners[i], owners[j]) if owners[i] < owners[j] else (owners[j], owners[i])
                shared = words[i].keys() & words[j].keys()
                value = (float(similar[j]) + sum(words[i][k] * words[j][k] for k in shared)) / 2
                if value > best.get(pair, (0.0, "", ""))[0]:
                    first, second = (i, j) if pair[0] == owners[i] else (j, i)
                    best[pair] = (value, described[first][1], described[second][1])
    return best


class Leads:
    """The likely but unrecorded links of a map, best first: the best of the whole map, and of each organisation."""

    def __init__(self, rows: Mapping[str, list[dict[str, str]]]) -> None:
        """From the rows of ``QUERIES`` by name, terms as strings."""
        self.organisations = {row["organisation"] for row in rows["organisations"]}
        described = _organisations(rows["activities"], rows["concepts"], rows["places"])
        known = {tuple(sorted((row["a"], row["b"]))) for row in rows["linked"]}
        alike = _most_alike(described)
        holders: defaultdict[str, list[str]] = defaultdict(list)
        for iri, organisation in sorted(described.items()):
            for concept in organisation.concepts:
                holders[concept].append(iri)
        pairs = set(alike)
        for held_by in holders.values():
            if len(held_by) <= RARE_CONCEPT:
                pairs.update(combinations(held_by, 2))
        found = [lead for pair in pairs - known if (lead := _lead(pair, described, alike.get(pair))) is not None]
        found.sort(key=lambda lead: (-lead.score, lead.organisations))
        self.best = found[:MOST_LEADS]
        self.by_organisation: defaultdict[str, list[Lead]] = defaultdict(list)
        for lead in found:
            for iri in lead.organisations:
                if len(self.by_organisation[iri]) < MOST_PER_ORGANISATION:
                    self.by_organisation[iri].append(lead)

    def of(self, organisation: str | None, limit: int) -> list[Lead]:
        """The best ``limit`` leads of the map, or of one organisation (at most ``MOST_PER_ORGANISATION``)."""
        return (self.best if organisation is None else self.by_organisation.get(organisation, []))[:limit]


def _lead(
    pair: tuple[str, str], organisations: dict[str, _Organisation], alike: tuple[float, str, str] | None
) -> Lead | None:
    first, second = organisations[pair[0]], organisations[pair[1]]
    likeness = max(alike[0], 0.0) if alike else 0.0
    shared = sorted(first.concepts.keys() & second.concepts.keys())
    areas = first.areas.keys() & second.areas.keys()
    # The most local area both act in: a region or city before a nation.
    area = min(areas, key=lambda iri: (first.areas[iri][1] in NATIONS, first.areas[iri][0]), default=None)
    place_share = 0.0 if area is None else 0.5 if first.areas[area][1] in NATIONS else 1.0
    score = ALIKE_WEIGHT * likeness + CONCEPTS_WEIGHT * min(1.0, len(shared) / 2) + PLACE_WEIGHT * place_share
    if score < LISTED_FROM:
        return None
    evidence = None
    if alike:
        evidence = {
            "likeness": round(likeness, 3),
            "first": _activity(alike[1], first),
            "second": _activity(alike[2], second),
        }
    return Lead(
        pair,
        (first.label, second.label),
        round(score, 3),
        evidence,
        [{"iri": iri, "label": first.concepts[iri]} for iri in shared],
        {"iri": area, "label": first.areas[area][0]} if area else None,
    )


def _activity(iri: str, organisation: _Organisation) -> dict[str, str]:
    label, description = organisation.activities[iri]
    return {"iri": iri, "label": label, "description": description}


async def read_leads(store: Store) -> Leads:
    """Every lead the map's current data gives (``QUERIES``), for the command line and the web app alike; found off
    the event loop, as it takes seconds on a large map."""
    rows = {name: strings(await store.solutions(query), names) for name, (query, names) in QUERIES.items()}
    return await anyio.to_thread.run_sync(lambda: Leads(rows))
