"""Lists of organisations and activities with filters, name search and pagination, built as SPARQL.

Every value a person types is turned into an RDF term by pyoxigraph (which checks IRIs and escapes
literals) before it goes into a query, so no input can change a query's shape.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import pyoxigraph as ox

from api.dependencies import AppServices
from api.services.page_queries import AREA_OPTIONS, PLACE_OPTIONS
from graph.matching.names import NameIndex
from graph.rdf.identity import KEY_PATTERN
from graph.store.interface import Row

AGENT = "eco:ledBy|eco:runBy|eco:hostedBy|eco:participant"
GSS = re.compile(r"^[EKNSW][0-9]{8}$")
# Up to this many things named by a search, the list asks the store for them by IRI; beyond it, asking for them
# costs more than scanning every name (at 10^5 organisations: 349 named, 0.01 s; 56,572 named, 2.6 s against a
# 3.0 s scan), so the store scans.
NAMED_AT_MOST = 5000


@dataclass(frozen=True)
class Kind:
    """One kind of list: which things, how each filter narrows them, and the columns shown."""

    name: str
    title: str
    pattern: str
    kind_property: str
    kind_scheme: str
    # The filters' patterns, with ?item the listed thing and $value the filter's value.
    area: str
    place: str
    strategy: str


ORGANISATIONS = Kind(
    name="organisations",
    title="Organisations",
    pattern="?item a/rdfs:subClassOf* org:Organization .",
    kind_property="eco:organisationKind",
    kind_scheme="organisation-kind",
    area=f"?activity {AGENT} ?item ; eco:supports $value .",
    place="?item eco:basedIn|eco:operatesIn ?where . ?where geo:sfWithin* $value .",
    strategy=f"?activity {AGENT} ?item ; eco:supports ?s . ?s (skos:inScheme/rdfs:isDefinedBy)? $value .",
)
ACTIVITIES = Kind(
    name="activities",
    title="Activities",
    pattern="?item a eco:Activity .",
    kind_property="eco:activityKind",
    kind_scheme="activity-kind",
    area="?item eco:supports $value .",
    place="?item dcterms:spatial ?where . ?where geo:sfWithin* $value .",
    strategy="?item eco:supports ?s . ?s (skos:inScheme/rdfs:isDefinedBy)? $value .",
)
KINDS = {k.name: k for k in (ORGANISATIONS, ACTIVITIES)}


@dataclass(frozen=True)
class Filters:
    area: ox.NamedNode | None = None
    place: ox.NamedNode | None = None
    kind: ox.NamedNode | None = None
    strategy: ox.NamedNode | None = None
    q: str | None = None
    # What the name index found holding q (None: the store scans the names for q itself).
    named: frozenset[str] | None = None

    def active(self) -> bool:
        return any((self.area, self.place, self.kind, self.strategy, self.q))


def _where(kind: Kind, filters: Filters) -> str:
    parts = [kind.pattern, "?item skos:prefLabel ?name FILTER(LANG(?name) = 'en')"]
    for pattern, value in ((kind.area, filters.area), (kind.place, filters.place), (kind.strategy, filters.strategy)):
        if value is not None:
            parts.append("FILTER EXISTS { " + pattern.replace("$value", str(value)) + " }")
    if filters.kind is not None:
        parts.append(f"?item {kind.kind_property} {filters.kind} .")
    if filters.named is not None:
        parts.insert(0, "VALUES ?item { " + " ".join(str(ox.NamedNode(iri)) for iri in sorted(filters.named)) + " }")
    elif filters.q:
        needle = str(ox.Literal(filters.q.lower()))
        parts.append(
            "FILTER EXISTS { ?item skos:prefLabel|skos:altLabel ?label "
            f"FILTER(CONTAINS(LCASE(STR(?label)), {needle})) }}"
        )
    return "\n  ".join(parts)


def narrowed(filters: Filters, index: NameIndex) -> Filters:
    """The filters with the things whose names hold q, when the index finds few enough to ask for by IRI."""
    if not filters.q:
        return filters
    named = index.holding(filters.q, up_to=NAMED_AT_MOST)
    return replace(filters, named=frozenset(named)) if len(named) <= NAMED_AT_MOST else filters


def count_query(kind: Kind, filters: Filters) -> str:
    return f"SELECT (COUNT(DISTINCT ?item) AS ?total) WHERE {{\n  {_where(kind, filters)}\n}}"


def page_query(kind: Kind, filters: Filters, offset: int, limit: int) -> str:
    return f"""SELECT ?item (SAMPLE(?name) AS ?label)
       (GROUP_CONCAT(DISTINCT ?kindLabel; SEPARATOR=", ") AS ?kinds) WHERE {{
  {_where(kind, filters)}
  OPTIONAL {{ ?item {kind.kind_property}/skos:prefLabel ?kindLabel }}
}} GROUP BY ?item ORDER BY LCASE(STR(SAMPLE(?name))) ?item OFFSET {offset} LIMIT {limit}"""


def options_query(kind: Kind) -> str:
    """Everything the filters can choose from, with its group, for the page's drop-downs."""
    return f"""SELECT ?filter ?group ?value ?label WHERE {{
  {{ BIND("area" AS ?filter) {AREA_OPTIONS} }}
  UNION {{ BIND("place" AS ?filter) {PLACE_OPTIONS} }}
  UNION {{ BIND("kind" AS ?filter) BIND("" AS ?group)
           ?value skos:inScheme <def/{kind.kind_scheme}> ; skos:prefLabel ?label }}
  UNION {{ BIND("strategy" AS ?filter) BIND("" AS ?group) ?value a eco:Strategy ; skos:prefLabel ?label }}
}} ORDER BY ?filter ?group ?label"""


class FilterError(ValueError):
    """A filter value that names nothing ecomap could have."""


def parse_filters(
    base: str,
    kind: Kind,
    area: str | None,
    place: str | None,
    key: str | None,
    strategy: str | None,
    q: str | None,
) -> Filters:
    """The filters from a request's values, each made an RDF term, or FilterError saying what would fit."""

    def iri(value: str) -> ox.NamedNode:
        absolute = value if value.startswith(("http://", "https://")) else f"{base}/{value.lstrip('/')}"
        if not absolute.startswith(base + "/def/") and not absolute.startswith(base + "/id/strategy/"):
            raise FilterError(
                f"area={value} is not one of ecomap's concepts or strategies, such as def/m1-principle/address-risks"
            )
        return ox.NamedNode(absolute)

    def checked(value: str, pattern: re.Pattern[str], name: str, example: str) -> str:
        if not pattern.match(value):
            raise FilterError(f"{name}={value} is not of the right form, e.g. {name}={example}")
        return value

    return Filters(
        area=iri(area) if area else None,
        place=ox.NamedNode(f"{base}/id/place/{checked(place, GSS, 'place', 'E12000007')}") if place else None,
        kind=ox.NamedNode(f"{base}/def/{kind.kind_scheme}/{checked(key, KEY_PATTERN, 'kind', 'company')}")
        if key
        else None,
        strategy=ox.NamedNode(
            f"{base}/id/strategy/{checked(strategy, KEY_PATTERN, 'strategy', 'national-ai-strategy')}"
        )
        if strategy
        else None,
        q=q.strip()[:200] if q and q.strip() else None,
    )


async def list_page(
    services: AppServices, kind: Kind, filters: Filters, page: int, per_page: int
) -> tuple[int, list[Row]]:
    """How many things the filters select (a name searched for narrowed by the name index first), and the rows of
    one page of them."""
    if filters.q:
        filters = narrowed(filters, await services.names.get())
    if filters.named == frozenset():  # the name index found nothing with that name: nothing to ask the store
        return 0, []
    [count] = await services.public.solutions(count_query(kind, filters))
    rows = await services.public.solutions(page_query(kind, filters, (page - 1) * per_page, per_page))
    return int(count["total"].value), rows


async def filter_options(services: AppServices, kind: Kind) -> dict[str, list[dict[str, str]]]:
    """The values each filter of the list offers, with their labels and groups, as a form shows them."""
    base = services.settings.base_uri
    options: dict[str, list[dict[str, str]]] = {"area": [], "place": [], "kind": [], "strategy": []}
    for row in await services.public.solutions(options_query(kind)):
        value, name = row["value"].value, row["filter"].value
        short = value.rsplit("/", 1)[-1] if name in ("place", "kind", "strategy") else value[len(base) + 1 :]
        options[name].append({"value": short, "label": row["label"].value, "group": row["group"].value})
    return options
