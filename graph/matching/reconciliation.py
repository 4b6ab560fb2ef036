"""Matching names and numbers to organisations on the map, for the W3C Reconciliation Service API (v0.2).

Pure logic, no I/O: the SPARQL this service sends (fixed text, or IRIs serialised by pyoxigraph), the parsing of
the JSON that clients send, and the scoring. Candidates are read whole from the store and scored here, so no
input ever reaches a query, and a score can be explained by its features.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pyoxigraph as ox
from rapidfuzz import fuzz

from graph.matching.names import NameIndex
from graph.rdf.identity import ORG_ID, ORG_IDS

MAX_BATCH = 50
MAX_LIMIT = 50
DEFAULT_LIMIT = 5
MAX_QUERY_LENGTH = 500
MIN_NAME_SCORE = 40.0
# How many organisations, picked by the name index, are scored closely for a query's name (besides those its
# registry numbers and website name): scoring every organisation took seconds per query at 10^5.
CLOSEST = 100
# A name that is exactly an organisation's preferred name is a match only this far ahead of the next candidate.
MATCH_MARGIN = 10.0
ALT_LABEL_SCORE = 95.0  # exactly an acronym or former name: likely, but acronyms are shared, so never a match

TYPE = {"id": "org:Organization", "name": "Organisation"}
TYPE_IDS = {TYPE["id"], "http://www.w3.org/ns/org#Organization"}

AGENT = "eco:ledBy|eco:runBy|eco:hostedBy|eco:participant"
REGISTRY = f"{ORG_IDS} BIND(?org_id AS ?value)"
ENGLISH_NAME = 'OPTIONAL { ?value skos:prefLabel ?name FILTER(LANG(?name) IN ("en", "")) }'
ARTICLES = {"the"}
LEGAL_FORMS = {"ltd", "limited", "plc", "llp", "cyf", "cyfyngedig"}


class ReconcileError(ValueError):
    """A request this service cannot answer, with a message that says how to put it right."""


@dataclass(frozen=True)
class Property:
    """A property clients can fetch by data extension (and match on, for the first three); ``pattern`` binds
    ?value (and ?name for IRIs) for ?org; ``entity`` values are organisations, given by key and name."""

    id: str
    name: str
    description: str
    pattern: str
    entity: bool = False


PROPERTIES = [
    Property(
        "registry-number",
        "Registry number",
        "An org-id.guide identifier such as GB-COH-08030289, or a bare company or charity number. Used for matching.",
        REGISTRY,
    ),
    Property(
        "website",
        "Website",
        "The organisation's home page; matched by its domain.",
        "?org foaf:homepage ?value .",
    ),
    Property(
        "place",
        "Place",
        "Where it is based or operates: a GSS code such as E12000007 or a place name; matching also counts "
        "the places these lie within.",
        f"?org eco:basedIn|eco:operatesIn ?value . {ENGLISH_NAME}",
    ),
    Property("based-in", "Based in", "Where it is based.", f"?org eco:basedIn ?value . {ENGLISH_NAME}"),
    Property("operates-in", "Operates in", "Where it operates.", f"?org eco:operatesIn ?value . {ENGLISH_NAME}"),
    Property(
        "kind",
        "Kind of organisation",
        "Its kinds, such as company.",
        f"?org eco:organisationKind ?value . {ENGLISH_NAME}",
    ),
    Property(
        "supports",
        "Supports",
        "The strategies, priority areas, principles and missions its activities support.",
        f"?activity {AGENT} ?org ; eco:supports ?value . {ENGLISH_NAME}",
    ),
    Property(
        "related-organisation",
        "Related organisation",
        "Organisations it has a recorded relationship with, in either direction.",
        "{ ?relationship eco:fromOrganisation ?org ; eco:toOrganisation ?value } UNION "
        f"{{ ?relationship eco:toOrganisation ?org ; eco:fromOrganisation ?value }} {ENGLISH_NAME}",
        entity=True,
    ),
]
PROPERTY_IDS = {p.id: p for p in PROPERTIES}
# What a preview shows: the same patterns, with the names (which clients already have, so not offered).
PREVIEW = [
    Property("name", "Name", "Its preferred names.", "?org skos:prefLabel ?value ."),
    *(PROPERTY_IDS[p] for p in ("kind", "based-in", "operates-in", "website", "registry-number")),
]

CANDIDATES_QUERY = f"""SELECT DISTINCT ?org ?field ?value ?lang WHERE {{
  ?org a/rdfs:subClassOf* org:Organization .
  {{ ?org skos:prefLabel ?term BIND("pref" AS ?field) }}
  UNION {{ ?org skos:altLabel ?term BIND("alt" AS ?field) }}
  UNION {{ {REGISTRY.replace("?value", "?term")} BIND("identifier" AS ?field) }}
  UNION {{ ?org foaf:homepage ?term BIND("homepage" AS ?field) }}
  UNION {{ ?org (eco:basedIn|eco:operatesIn)/geo:sfWithin* ?place . ?place skos:notation|skos:prefLabel ?term
           BIND("place" AS ?field) }}
  BIND(STR(?term) AS ?value)
  BIND(LANG(?term) AS ?lang)
}}"""


@dataclass
class Candidate:
    """An organisation with what matching compares: names (preferred or not), identifiers, domains, places."""

    key: str
    names: dict[str, bool] = field(default_factory=dict)  # normalised label -> is a preferred label
    labels: list[tuple[str, str, bool]] = field(default_factory=list)  # (label, language, preferred)
    identifiers: set[str] = field(default_factory=set)
    domains: set[str] = field(default_factory=set)
    places: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        """Its English preferred name, else any preferred name, else any name, else its key."""
        ranked = sorted((not pref, lang not in ("en", ""), label) for label, lang, pref in self.labels)
        return ranked[0][2] if ranked else self.key


@dataclass(frozen=True)
class Query:
    text: str | None
    limit: int
    properties: list[tuple[str, list[str]]]
    typed: bool  # False when the query asks only for types this service does not have


class Candidates:
    """The organisations reconciliation compares with, by key, and what finds the few worth scoring for a query:
    a name index of their normalised names and keys, and their registry numbers and web domains."""

    def __init__(self, found: dict[str, Candidate]) -> None:
        self.by_key = found
        self.names = NameIndex((key, name) for key, candidate in found.items() for name in (key, *candidate.names))
        self._named: defaultdict[str, set[str]] = defaultdict(set)
        self._numbers: defaultdict[str, set[str]] = defaultdict(set)
        self._domains: defaultdict[str, set[str]] = defaultdict(set)
        for key, candidate in found.items():
            for name in candidate.names:
                self._named[name].add(key)
            for identifier in candidate.identifiers:
                self._numbers[_number_key(identifier.rpartition("-")[2])].add(key)
            for host in candidate.domains:
                self._domains[host].add(key)

    def worth_scoring(self, query: Query, base: str) -> list[Candidate]:
        """The organisations with the query's name, or the name closest to it, and those its registry numbers
        and website name."""
        keys: set[str] = set()
        if query.text:
            asked = normalise(query.text)
            keys.add(query.text.removeprefix(f"{base}/id/organisation/"))
            keys |= self._named.get(asked, set())
            keys.update(self.names.closest(asked, CLOSEST))
        for pid, values in query.properties:
            for value in values:
                if pid == "registry-number":
                    keys |= self._numbers.get(_number_key(_asked_number(value)[1]), set())
                elif pid == "website" and (host := domain(value)):
                    keys |= self._domains.get(host, set())
        return [self.by_key[key] for key in sorted(keys) if key in self.by_key]

    def holding(self, text: str) -> list[Candidate]:
        """The organisations with a normalised name (or key) that holds ``text``."""
        return [self.by_key[key] for key in sorted(self.names.holding(text))]


def _number_key(number: str) -> str:
    """A registry number as looked up: leading zeros go, as spreadsheets drop them (``_same_number``)."""
    return number.lstrip("0") if number.isascii() and number.isdigit() else number


def candidates(rows: Iterable[Mapping[str, str]], base: str) -> Candidates:
    """The organisations in the rows of ``CANDIDATES_QUERY`` (terms as strings), by key."""
    prefix = f"{base}/id/organisation/"
    found: dict[str, Candidate] = {}
    for row in rows:
        if not row["org"].startswith(prefix):
            continue
        key = row["org"][len(prefix) :]
        candidate = found.setdefault(key, Candidate(key))
        value, kind = row["value"], row["field"]
        if kind in ("pref", "alt"):
            candidate.labels.append((value, row.get("lang", ""), kind == "pref"))
            normalised = normalise(value)
            candidate.names[normalised] = candidate.names.get(normalised, False) or kind == "pref"
        elif kind == "identifier":
            candidate.identifiers.add(value.upper())
        elif kind == "homepage" and (host := domain(value)):
            candidate.domains.add(host)
        elif kind == "place":
            candidate.places.add(normalise(value))
    return Candidates(found)


def normalise(name: str) -> str:
    """A name reduced to what tells organisations apart: no case, accents, punctuation, "The" or legal form."""
    text = unicodedata.normalize("NFKD", name.casefold())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = re.sub(r"['\u2019]", "", text.replace("&", " and "))
    words = [w for w in re.findall(r"[^\W_]+", text) if w not in ARTICLES]
    while len(words) > 1 and words[-1] in LEGAL_FORMS:
        words.pop()
    return " ".join(words)


def _word_score(word: str, others: list[str]) -> float:
    """How well a word is matched in another name: 1 if there (or abbreviated, "inst" for "institute"),
    its likeness if misspelt, else 0."""
    best = 0.0
    for other in others:
        if word == other or (min(len(word), len(other)) >= 3 and (word.startswith(other) or other.startswith(word))):
            return 1.0
        likeness = fuzz.ratio(word, other) / 100
        if likeness >= 0.75:
            best = max(best, likeness)
    return best


def similarity(a: str, b: str) -> float:
    """0-1 likeness of two normalised names: by characters (in either word order: rapidfuzz's ratio and token-sort
    ratio, as the moderators' duplicate check uses), averaged with the share of words they have in common, so that a
    shared "Institute" alone does not make two names alike."""
    if not a or not b:
        return 0.0
    if a == b:
        return 1.0
    wa, wb = a.split(), b.split()
    chars = max(fuzz.ratio(a, b), fuzz.token_sort_ratio(a, b)) / 100
    words = (sum(_word_score(w, wb) for w in wa) + sum(_word_score(w, wa) for w in wb)) / (len(wa) + len(wb))
    return (chars + words) / 2


def domain(url: str) -> str | None:
    """A web address's host without ``www.``, so that http/https, paths and ``www`` do not matter."""
    text = url.strip().lower()
    try:
        host = urlsplit(text if "://" in text else "http://" + text).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def _asked_number(value: str) -> tuple[str | None, str]:
    """The register prefix (if given in org-id form) and the number of a registry number as a client sent it."""
    wanted = re.sub(r"\s+", "", value).upper()
    found = ORG_ID.match(wanted)
    return (found["prefix"], found["number"]) if found else (None, wanted)


def _same_number(a: str, b: str) -> bool:
    """Registry numbers are equal, also when a spreadsheet has dropped a company number's leading zeros."""
    return _number_key(a) == _number_key(b)


def registry_match(value: str, identifiers: set[str]) -> bool:
    """``value`` (GB-COH-08030289, or a bare 08030289) is one of the org-id identifiers."""
    prefix, number = _asked_number(value)
    for identifier in identifiers:
        their_prefix, _, their_number = identifier.rpartition("-")
        if (prefix is None or prefix == their_prefix) and _same_number(number, their_number):
            return True
    return False


def parse_json(text: str, name: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as error:
        raise ReconcileError(f"The {name} parameter is not valid JSON: {error}.") from None


def _values(value: Any, where: str) -> list[str]:
    """A property's values as strings: a string, number, boolean or {"id": ...}, or an array of those."""
    values = []
    for item in value if isinstance(value, list) else [value]:
        if isinstance(item, dict) and isinstance(item.get("id"), str):
            values.append(item["id"])
        elif isinstance(item, bool):
            values.append(str(item).lower())
        elif isinstance(item, int | float):
            values.append(str(int(item)) if float(item).is_integer() else str(item))
        elif isinstance(item, str):
            values.append(item)
        else:
            raise ReconcileError(f"{where}: v must be a string, number, boolean or {{'id': ...}}, or an array of them.")
    return [v.strip() for v in values if v.strip()]


def _query(key: str, raw: Any) -> Query:
    where = f"Query {key!r}"
    if not isinstance(raw, dict):
        raise ReconcileError(f"{where} is not an object such as {{'query': 'Open Data Institute'}}.")
    text = raw.get("query")
    if text is not None and not isinstance(text, str):
        raise ReconcileError(f"{where}: query must be a string.")
    if text is not None and len(text) > MAX_QUERY_LENGTH:
        raise ReconcileError(f"{where}: query is longer than {MAX_QUERY_LENGTH} characters.")
    types = raw.get("type")
    if isinstance(types, str):
        types = [types]
    if types is not None and not (isinstance(types, list) and all(isinstance(t, str) for t in types)):
        raise ReconcileError(f"{where}: type must be a type id or an array of type ids, such as {TYPE['id']}.")
    limit = raw.get("limit", DEFAULT_LIMIT)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or limit < 1:
        raise ReconcileError(f"{where}: limit must be a positive number.")
    properties = raw.get("properties", [])
    if not isinstance(properties, list):
        raise ReconcileError(f"{where}: properties must be an array of {{'pid': ..., 'v': ...}}.")
    pairs = []
    for item in properties:
        if not (isinstance(item, dict) and isinstance(item.get("pid"), str) and "v" in item):
            raise ReconcileError(f"{where}: each property must be an object {{'pid': ..., 'v': ...}}.")
        pairs.append((item["pid"], _values(item["v"], where)))
    if not (text and text.strip()) and not pairs:
        raise ReconcileError(f"{where} has neither a query nor properties.")
    return Query(
        text=text.strip() if text and text.strip() else None,
        limit=min(int(limit), MAX_LIMIT),
        properties=pairs,
        typed=types is None or not types or bool(TYPE_IDS & set(types)),
    )


def parse_batch(text: str) -> dict[str, Query]:
    """A reconciliation query batch, checked: an object of at most ``MAX_BATCH`` queries."""
    batch = parse_json(text, "queries")
    if not isinstance(batch, dict):
        raise ReconcileError('The queries parameter must be a JSON object such as {"q0": {"query": "Nesta"}}.')
    if len(batch) > MAX_BATCH:
        raise ReconcileError(f"A batch may hold at most {MAX_BATCH} queries; this one has {len(batch)}.")
    return {key: _query(key, raw) for key, raw in batch.items()}


@dataclass
class _Scored:
    candidate: Candidate
    score: float
    features: list[dict[str, Any]]
    exact: bool  # the query is exactly one of its preferred names, or its URI
    sure_number: bool  # a registry number given in org-id form, or a bare one that the name does not contradict
    conflict: bool  # a given property disagrees with what the map records


def _name_score(text: str, candidate: Candidate, base: str) -> tuple[float, bool]:
    """The best likeness (0-100) of ``text`` to the candidate's names, and whether it is sure: exactly a
    preferred name, or the organisation's URI. Its bare key scores 100 too, but keys can look like acronyms."""
    if text == f"{base}/id/organisation/{candidate.key}":
        return 100.0, True
    asked = normalise(text)
    best, exact = (100.0 if text == candidate.key else 0.0), False
    for name, preferred in candidate.names.items():
        if name == asked:
            score = 100.0 if preferred else ALT_LABEL_SCORE
            exact = exact or preferred
        else:
            score = min(99.0, 100 * similarity(asked, name))
        best = max(best, score)
    return best, exact


def _score(query: Query, candidate: Candidate, base: str) -> _Scored | None:
    scored = _Scored(candidate, 0.0, [], exact=False, sure_number=False, conflict=False)
    name_score = None
    if query.text:
        name_score, scored.exact = _name_score(query.text, candidate, base)
        scored.score = name_score
        scored.features.append({"id": "name", "value": round(name_score, 1)})
    evidence = False
    for pid, values in query.properties:
        if pid == "registry-number" and candidate.identifiers:
            matched = any(registry_match(v, candidate.identifiers) for v in values)
            in_org_id_form = any(ORG_ID.match(re.sub(r"\s+", "", v).upper()) for v in values)
            # A bare number could come from another register; a name far from this one says it does.
            scored.sure_number = matched and (in_org_id_form or name_score is None or name_score >= 50)
            scored.score = 100.0 if matched else scored.score * 0.75
            scored.conflict = scored.conflict or not matched
        elif pid == "website" and candidate.domains:
            matched = any(domain(v) in candidate.domains for v in values)
            scored.score = scored.score + (100 - scored.score) * 0.6 if matched else scored.score * 0.85
            scored.conflict = scored.conflict or not matched
        elif pid == "place" and candidate.places:
            # Records name few of the places an organisation works in, so a different place is no conflict.
            matched = any(normalise(v) in candidate.places for v in values)
            scored.score = scored.score + (100 - scored.score) * 0.2 if matched else scored.score * 0.9
        else:
            continue  # nothing on the map to compare with, or not a property this service matches on
        scored.features.append({"id": pid.replace("-", "_"), "value": matched})
        evidence = evidence or matched
    if scored.score < MIN_NAME_SCORE and not evidence:
        return None
    return scored


def reconcile(query: Query, found: Candidates, base: str) -> list[dict[str, Any]]:
    """The candidates for one query, best first, at most one of them a ``match``. Only the organisations the
    query names by number or website, or whose names are closest to its name, are scored: a place alone finds
    none."""
    if not query.typed:
        return []
    scored = [s for c in found.worth_scoring(query, base) if (s := _score(query, c, base)) is not None]
    scored.sort(key=lambda s: (-s.score, s.candidate.name.casefold(), s.candidate.key))
    sure = [s for s in scored if s.sure_number]
    top = scored[0] if scored else None
    runner_up = scored[1].score if len(scored) > 1 else 0.0
    matched = None
    if len(sure) == 1:
        matched = sure[0]
    elif not sure and top and top.exact and not top.conflict and top.score - runner_up >= MATCH_MARGIN:
        matched = top
    return [
        {
            "id": s.candidate.key,
            "name": s.candidate.name,
            "type": [TYPE],
            "score": round(s.score, 1),
            "match": s is matched,
            "features": s.features,
        }
        for s in scored[: query.limit]
    ]


def _rank(prefix: str, texts: Iterable[str]) -> int | None:
    """0 if a text starts with the prefix, 1 if one of its words does, 2 if it holds it anywhere, else None."""
    ranks = [
        0 if text.startswith(prefix) else 1 if f" {prefix}" in f" {text}" else 2 if prefix in text else 3
        for text in texts
    ]
    best = min(ranks, default=3)
    return None if best == 3 else best


EXACT = -1  # before _rank's 0, a name that starts with the prefix


def suggest_entities(prefix: str, found: Candidates, cursor: int, size: int) -> list[dict[str, Any]]:
    """Organisations whose names (or key) start with, or hold, ``prefix``: the key or a name that is exactly it
    first (typing "ODI" finds the Open Data Institute before ODI Belfast, Cardiff and Leeds), then names that start
    with it."""
    asked = normalise(prefix)
    ranked = []
    pool = found.holding(asked)
    if (named := found.by_key.get(prefix.strip())) is not None and named not in pool:
        pool.append(named)
    for candidate in pool:
        if prefix.strip() == candidate.key:
            ranked.append((EXACT, candidate, candidate.name))
            continue
        labels = [candidate.name, *(label for label, _, _ in candidate.labels)]  # on a tie, its name wins
        hits = [
            (EXACT if normalise(label) == asked else rank, label)
            for label in labels
            if (rank := _rank(asked, [normalise(label)])) is not None
        ]
        if hits:
            rank, label = min(hits, key=lambda hit: hit[0])
            ranked.append((rank, candidate, label))
    ranked.sort(key=lambda r: (r[0], r[1].name.casefold(), r[1].key))
    results = []
    for _, candidate, label in ranked[cursor : cursor + size]:
        item = {"id": candidate.key, "name": candidate.name, "notable": [TYPE]}
        if label != candidate.name:
            item["description"] = label  # the acronym or former name that was typed
        results.append(item)
    return results


def suggest_types(prefix: str) -> list[dict[str, str]]:
    words = [normalise(w) for w in (TYPE["name"], "Organization", TYPE["id"])]
    return [TYPE] if _rank(normalise(prefix), words) is not None else []


def property_entries(properties: Iterable[Property]) -> list[dict[str, str]]:
    return [{"id": p.id, "name": p.name, "description": p.description} for p in properties]


def suggest_properties(prefix: str) -> list[dict[str, str]]:
    asked = normalise(prefix)
    return property_entries(p for p in PROPERTIES if _rank(asked, [normalise(p.name), normalise(p.id)]) is not None)


def parse_extend(text: str) -> tuple[list[str], list[Property]]:
    """A data extension query: at most ``MAX_BATCH`` entity ids and the properties to fetch, all known."""
    asked = parse_json(text, "extend")
    if (
        not isinstance(asked, dict)
        or not isinstance(asked.get("ids"), list)
        or not isinstance(asked.get("properties"), list)
    ):
        raise ReconcileError(
            'The extend parameter must be an object such as {"ids": ["odi"], "properties": '
            '[{"id": "registry-number"}]}.'
        )
    ids, properties = asked["ids"], asked["properties"]
    if not all(isinstance(i, str) for i in ids):
        raise ReconcileError("extend: ids must be strings, the ids that reconciliation gave.")
    if len(ids) > MAX_BATCH:
        raise ReconcileError(f"extend: at most {MAX_BATCH} ids at a time; this request has {len(ids)}.")
    chosen: list[Property] = []
    for item in properties:
        pid = item.get("id") if isinstance(item, dict) else None
        if pid not in PROPERTY_IDS:
            known = ", ".join(PROPERTY_IDS)
            raise ReconcileError(f"extend: unknown property {pid!r}; this service offers {known}.")
        if PROPERTY_IDS[pid] not in chosen:
            chosen.append(PROPERTY_IDS[pid])
    return list(dict.fromkeys(ids)), chosen


def extension_query(organisations: Iterable[ox.NamedNode], properties: Iterable[Property]) -> str:
    """One query for every asked property of every asked organisation: rows of ?org ?property ?value ?name."""
    values = " ".join(str(o) for o in organisations)
    branches = "\n  UNION ".join(f'{{ {p.pattern}\n    BIND("{p.id}" AS ?property) }}' for p in properties)
    return f"SELECT DISTINCT ?org ?property ?value ?name WHERE {{\n  VALUES ?org {{ {values} }}\n  {branches}\n}}"


def extension_rows(
    ids: list[str], properties: list[Property], rows: Iterable[Mapping[str, str]], base: str
) -> dict[str, dict[str, list[dict[str, str]]]]:
    """The data extension rows: every asked id, every asked property, its values sorted (none if unknown)."""
    prefix = f"{base}/id/organisation/"
    found: dict[tuple[str, str], dict[str, str]] = defaultdict(dict)
    for row in rows:
        found[(row["org"], row["property"])].setdefault(row["value"], row.get("name") or row["value"])
    answer: dict[str, dict[str, list[dict[str, str]]]] = {}
    for key in ids:
        answer[key] = {}
        for p in properties:
            values = found.get((prefix + key, p.id), {})
            if p.entity:
                cells = [{"id": v[len(prefix) :], "name": name} for v, name in values.items() if v.startswith(prefix)]
                answer[key][p.id] = sorted(cells, key=lambda c: (c["name"].casefold(), c["id"]))
            else:
                answer[key][p.id] = [{"str": s} for s in sorted(set(values.values()), key=str.casefold)]
    return answer


def extension_meta(properties: Iterable[Property]) -> list[dict[str, Any]]:
    return [{"id": p.id, "name": p.name, **({"type": TYPE} if p.entity else {})} for p in properties]
