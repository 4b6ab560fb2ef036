"""What the saved queries' forms offer for their IRI parameters, by name: the concepts (grouped by scheme), the
schemes, the topics, the places (grouped by kind) and the organisations. Typing ``def/m1-principle/address-risks`` by
hand was the only way before. Read once per data version (``AppServices.query_choices``): the organisations' branch
reads them all."""

from __future__ import annotations

from api.services.page_queries import AREA_OPTIONS, PLACE_OPTIONS
from graph.store.interface import Store

# Beyond this many organisations a form asks for the address instead: a drop-down of thousands helps no one.
MOST_ORGANISATIONS = 500

CHOICES = f"""SELECT ?parameter ?group ?value ?label WHERE {{
  {{ BIND("area" AS ?parameter) {AREA_OPTIONS} }}
  UNION {{ BIND("scheme" AS ?parameter) BIND("" AS ?group) ?value a skos:ConceptScheme ; skos:prefLabel ?label
           FILTER(?value != <def/topic>) }}
  UNION {{ BIND("topic" AS ?parameter) BIND("" AS ?group) ?value skos:inScheme <def/topic> ; skos:prefLabel ?label }}
  UNION {{ BIND("place" AS ?parameter) {PLACE_OPTIONS} }}
  UNION {{ BIND("organisation" AS ?parameter) BIND("" AS ?group)
           {{ SELECT ?value (MIN(?name) AS ?label) WHERE {{
               ?value a/rdfs:subClassOf* org:Organization ; skos:prefLabel ?name FILTER(LANG(?name) = "en") }}
             GROUP BY ?value LIMIT {MOST_ORGANISATIONS + 1} }} }}
  FILTER(LANG(?label) IN ("en", ""))
}} ORDER BY ?parameter ?group ?label"""

Choices = dict[str, list[dict[str, str]]]


async def read_choices(public: Store, base: str) -> Choices:
    """For each IRI parameter's name, its choices: the value as the parameter takes it (an address relative to the
    base), the label, and the group a drop-down shows it under."""
    prefix = base + "/"
    choices: Choices = {}
    for row in await public.solutions(CHOICES):
        value = row["value"].value
        if value.startswith(prefix):
            choices.setdefault(row["parameter"].value, []).append(
                {"value": value[len(prefix) :], "label": row["label"].value, "group": row["group"].value}
            )
    if len(choices.get("organisation", [])) > MOST_ORGANISATIONS:
        del choices["organisation"]
    return choices
