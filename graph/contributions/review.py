"""What a moderator needs to decide: what a submission would change, and whether it duplicates an
organisation already on the map."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox
from rapidfuzz import fuzz, process

from graph.matching.suggestions import Suggester, SuggestionError
from graph.matching.text_vectors import embeddings
from graph.rdf.namespaces import ORGANISATION_CLASSES, STANDARD
from graph.rdf.query_text import iri, iris
from graph.rdf.terms import Term, value_of

NAME_NOISE = re.compile(r"\b(the|ltd|limited|llp|plc|cic)\b|[^\w\s]")


@dataclass(frozen=True)
class Change:
    """What approving a submission would do to one record: the statements it adds and removes, and whether the
    submission sends the record whole (replacing it) or only states things about its subjects."""

    graph: str
    exists: bool
    added: list[str]
    removed: list[str]
    sent_whole: bool = True
    note: str | None = None


NOT_SENT_WHOLE = (
    "The submission does not send this record: it states things about the record's subjects, which approving adds "
    "to the record."
)


@dataclass(frozen=True)
class Duplicate:
    """A submitted organisation that is likely one already on the map: how likely (0-1), and why."""

    submitted: str
    candidate: str
    reason: str
    score: float
    evidence: list[str]


def changes(
    records: Mapping[str, list[ox.Triple]], current: Mapping[str, list[ox.Triple]], sent_whole: Iterable[str]
) -> list[Change]:
    """For each record, the statements approval would add and remove (as N-Triples lines); ``sent_whole`` are the
    records the submission sends whole."""
    whole = set(sent_whole)
    result = []
    for graph, triples in sorted(records.items()):
        new = {str(t) for t in triples}
        old = {str(t) for t in current.get(graph, [])}
        change = Change(graph, graph in current, sorted(new - old), sorted(old - new), graph in whole)
        result.append(change if change.sent_whole else replace(change, note=NOT_SENT_WHOLE))
    return result


def current_records_query(graphs: Iterable[str]) -> str:
    values = iris(sorted(graphs))
    return f"SELECT ?g ?s ?p ?o WHERE {{ VALUES ?g {{ {values} }} GRAPH ?g {{ ?s ?p ?o }} }}"


ORGANISATIONS_QUERY = f"""SELECT ?organisation ?name ?homepage ?number ?description WHERE {{
  ?organisation a ?class ; {iri(STANDARD["skos"] + "prefLabel")} ?name .
  VALUES ?class {{ {iris(sorted(ORGANISATION_CLASSES))} }}
  OPTIONAL {{ ?organisation {iri(STANDARD["foaf"] + "homepage")} ?homepage }}
  OPTIONAL {{ ?organisation {iri(STANDARD["adms"] + "identifier")}/{iri(STANDARD["skos"] + "notation")} ?number }}
  OPTIONAL {{ ?organisation {iri(STANDARD["dcterms"] + "description")} ?description }}
}}"""

# How strongly each kind of evidence says two organisations are one, in [0, 1]; evidence combines as independent
# signs (1 - the product of 1 - each), so two weak signs make a stronger one and no sign alone is certain.
SAME_NUMBER, SAME_WEBSITE = 0.95, 0.85
# Names at least this alike (rapidfuzz's token-sort ratio of the normalised names) count, at this share of their
# likeness: one name can belong to two bodies (a charity and its trading company).
NAMES_ALIKE, NAME_WEIGHT = 0.85, 0.8
# Descriptions at least this alike (cosine of their vectors, graph.matching.text_vectors) count, at this share of their
# likeness: similar work is a weaker sign than a similar name, but a description copied almost word for word shows.
DESCRIPTIONS_ALIKE, DESCRIPTION_WEIGHT = 0.75, 0.6
# A pair is shown to moderators from this score.
SHOWN_FROM = 0.5


def normalised(name: str) -> str:
    return " ".join(NAME_NOISE.sub(" ", name.lower()).split())


def host(url: str) -> str:
    return (urlsplit(url).hostname or "").removeprefix("www.")


@dataclass
class _Organisation:
    names: set[str] = field(default_factory=set)
    hosts: set[str] = field(default_factory=set)
    numbers: set[str] = field(default_factory=set)
    descriptions: set[str] = field(default_factory=set)


def _submitted(triples: list[ox.Triple]) -> dict[str, _Organisation]:
    rdf_type = STANDARD["rdf"] + "type"
    found = {
        value_of(t.subject): _Organisation()
        for t in triples
        if t.predicate.value == rdf_type and value_of(t.object) in ORGANISATION_CLASSES
    }
    notations = {
        value_of(t.subject): value_of(t.object) for t in triples if t.predicate.value == STANDARD["skos"] + "notation"
    }
    for t in triples:
        organisation = found.get(value_of(t.subject))
        if organisation is None:
            continue
        if t.predicate.value == STANDARD["skos"] + "prefLabel":
            organisation.names.add(value_of(t.object))
        elif t.predicate.value == STANDARD["foaf"] + "homepage":
            organisation.hosts.add(host(value_of(t.object)))
        elif t.predicate.value == STANDARD["adms"] + "identifier" and value_of(t.object) in notations:
            organisation.numbers.add(notations[value_of(t.object)])
        elif t.predicate.value == STANDARD["dcterms"] + "description":
            organisation.descriptions.add(value_of(t.object))
    return found


def _existing(rows: Iterable[Mapping[str, Term]]) -> dict[str, _Organisation]:
    found: defaultdict[str, _Organisation] = defaultdict(_Organisation)
    for row in rows:
        organisation = found[row["organisation"].value]
        organisation.names.add(row["name"].value)
        if "homepage" in row:
            organisation.hosts.add(host(row["homepage"].value))
        if "number" in row:
            organisation.numbers.add(row["number"].value)
        if "description" in row:
            organisation.descriptions.add(row["description"].value)
    return found


@dataclass
class _Signs:
    """Per candidate, the strongest sign of each kind that it is the submitted organisation ``own``."""

    own: str
    by_candidate: defaultdict[str, dict[str, tuple[float, str]]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, candidate: str, kind: str, strength: float, words: str) -> None:
        if candidate != self.own and strength > self.by_candidate[candidate].get(kind, (0.0, ""))[0]:
            self.by_candidate[candidate][kind] = (strength, words)


def duplicates(triples: list[ox.Triple], existing: Iterable[Mapping[str, Term]]) -> list[Duplicate]:
    """Organisations in ``triples`` likely to be one already on the map, each with a score in [0, 1] and the
    evidence for it: a registry number or website in common, a near-identical name, a similar description."""
    submitted = _submitted(triples)
    if not submitted:
        return []
    on_map = _existing(existing)
    # A name that is only noise ("The Ltd") normalises to nothing, and would be 100 % alike every other such name.
    names = [
        (key, name, thing)
        for thing, organisation in on_map.items()
        for name in organisation.names
        if (key := normalised(name))
    ]
    choices = [known for known, _, _ in names]
    described = [(text, thing) for thing, organisation in on_map.items() for text in sorted(organisation.descriptions)]
    encode = embeddings([text for text, _ in described]) if described else None
    vectors = encode([text for text, _ in described]) if encode else None
    found = []
    for thing, organisation in submitted.items():
        signs = _Signs(thing)
        sign = signs.add
        for candidate, other in on_map.items():
            for number in sorted(organisation.numbers & other.numbers):
                sign(candidate, "number", SAME_NUMBER, f"the same registry number, {number}")
            for website in sorted((organisation.hosts & other.hosts) - {""}):
                sign(candidate, "website", SAME_WEBSITE, f"the same website, {website}")
        for name in filter(normalised, organisation.names):
            for _, ratio, index in process.extract(
                normalised(name), choices, scorer=fuzz.token_sort_ratio, score_cutoff=NAMES_ALIKE * 100, limit=10
            ):
                _, shown, candidate = names[index]
                sign(
                    candidate,
                    "name",
                    NAME_WEIGHT * ratio / 100,
                    f"a near-identical name, {shown!r} ({ratio:.0f}% alike)",
                )
        if encode is not None and vectors is not None and organisation.descriptions:
            likeness = (encode(sorted(organisation.descriptions)) @ vectors.T).max(axis=0)
            for (_, candidate), alike in zip(described, likeness.tolist(), strict=True):
                if alike >= DESCRIPTIONS_ALIKE:
                    sign(
                        candidate,
                        "description",
                        DESCRIPTION_WEIGHT * alike,
                        f"a similar description ({alike:.2f} alike)",
                    )
        for candidate, kinds in signs.by_candidate.items():
            kept = sorted(kinds.values(), reverse=True)
            score = 1 - math.prod(1 - strength for strength, _ in kept)
            if score >= SHOWN_FROM:
                reasons = [words for _, words in kept]
                found.append(Duplicate(thing, candidate, "; ".join(reasons), round(score, 3), reasons))
    return sorted(found, key=lambda duplicate: (duplicate.submitted, -duplicate.score, duplicate.candidate))


# A submitted concept scoring under this share of the best in its scheme is flagged to the moderator.
DISAGREEMENT = 0.5


@dataclass(frozen=True)
class ConceptCheck:
    """An activity's submitted concepts beside those its description suggests, and where they disagree strongly."""

    activity: str
    description: str
    submitted: list[dict[str, Any]]
    suggested: list[dict[str, Any]]
    disagreements: list[str]


def concept_checks(triples: list[ox.Triple], suggester: Suggester, eco: str) -> list[ConceptCheck]:
    """For each submitted activity with a description: how its submitted concepts score against the text, the
    suggested ones, and a plain-English flag for every submitted concept far below the best of its scheme."""
    rdf_type, description, activity_class = (
        STANDARD["rdf"] + "type",
        STANDARD["dcterms"] + "description",
        eco + "Activity",
    )
    # What says an activity supports or is about a concept (a topic only suggested for it does not).
    tagging = {eco + "supports", STANDARD["dcterms"] + "subject"}
    activities = {
        value_of(t.subject) for t in triples if t.predicate.value == rdf_type and value_of(t.object) == activity_class
    }
    texts = {
        value_of(t.subject): value_of(t.object)
        for t in triples
        if value_of(t.subject) in activities and t.predicate.value == description
    }
    tagged: dict[str, list[str]] = {activity: [] for activity in texts}
    for t in triples:
        if value_of(t.subject) in texts and t.predicate.value in tagging and value_of(t.object) in suggester.concepts:
            tagged[value_of(t.subject)].append(value_of(t.object))
    checks = []
    for activity, text in sorted(texts.items()):
        try:
            scores = suggester.scores(text)
            suggested = suggester.suggest(text)["schemes"]
        except SuggestionError:
            continue
        submitted, disagreements = [], []
        for concept in sorted(set(tagged[activity])):
            scheme = suggester.concepts[concept].scheme
            rivals = sorted(
                ((score, other) for other, score in scores.items() if suggester.concepts[other].scheme == scheme),
                reverse=True,
            )
            rank = [other for _, other in rivals].index(concept) + 1
            best_score, best = rivals[0]
            label = suggester.concepts[concept].label
            submitted.append({"concept": concept, "label": label, "score": round(scores[concept], 3), "rank": rank})
            if best != concept and scores[concept] < DISAGREEMENT * best_score:
                disagreements.append(
                    f"The description hardly supports {label!r} (score {scores[concept]:.2f}, number {rank} of "
                    f"{len(rivals)} in {suggester.concepts[concept].scheme_label}); it points to "
                    f"{suggester.concepts[best].label!r} (score {best_score:.2f})."
                )
        checks.append(ConceptCheck(activity, text, submitted, suggested, disagreements))
    return checks
