"""What the saved queries' forms offer for their IRI parameters, by name: the concepts (grouped by scheme), the
schemes, the topics, the places (grouped by kind) and the organisations. Typing ``def/m1-principle/address-risks`` by
hand was the only way before."""

from __future__ import annotations

from api.dependencies import AppServices

# Beyond this many organisations a form asks for the address instead: a drop-down of thousands helps no one.
MOST_ORGANISATIONS = 500

CHOICES = f"""SELECT ?parameter ?group ?value ?label WHERE {{
  {{ BIND("area" AS ?parameter) ?value skos:inScheme ?scheme ; skos:prefLabel ?label . ?scheme skos:prefLabel ?group
     VALUES ?scheme {{ <def/m1-priority-area> <def/m1-principle> <def/nds-pillar> <def/nds-mission>
                      <def/ai-strategy-pillar> }} }}
  UNION {{ BIND("scheme" AS ?parameter) BIND("" AS ?group) ?value a skos:ConceptScheme ; skos:prefLabel ?label
           FILTER(?value != <def/topic>) }}
  UNION {{ BIND("topic" AS ?parameter) BIND("" AS ?group) ?value skos:inScheme <def/topic> ; skos:prefLabel ?label }}
  UNION {{ BIND("place" AS ?parameter) ?value dcterms:type ?type ; skos:prefLabel ?label
           VALUES ?type {{ <def/place-type/united-kingdom> <def/place-type/country> <def/place-type/english-region> }}
           ?type skos:prefLabel ?group }}
  UNION {{ BIND("organisation" AS ?parameter) BIND("" AS ?group)
           {{ SELECT ?value (MIN(?name) AS ?label) WHERE {{
               ?value a/rdfs:subClassOf* org:Organization ; skos:prefLabel ?name FILTER(LANG(?name) = "en") }}
             GROUP BY ?value LIMIT {MOST_ORGANISATIONS + 1} }} }}
  FILTER(LANG(?label) IN ("en", ""))
}} ORDER BY ?parameter ?group ?label"""


async def parameter_choices(services: AppServices) -> dict[str, list[dict[str, str]]]:
    """For each IRI parameter's name, its choices: the value as the parameter takes it (an address relative to the
    base), the label, and the group a drop-down shows it under."""
    base = services.settings.base_uri + "/"
    choices: dict[str, list[dict[str, str]]] = {}
    for row in await services.public.solutions(CHOICES):
        value = row["value"].value
        if value.startswith(base):
            choices.setdefault(row["parameter"].value, []).append(
                {"value": value[len(base) :], "label": row["label"].value, "group": row["group"].value}
            )
    if len(choices.get("organisation", [])) > MOST_ORGANISATIONS:
        del choices["organisation"]
    return choices
