"""Organisations by an identifier others give them: a registry number in org-id.guide form (GB-COH-08030289) or a
Wikidata item (Q123885)."""

from __future__ import annotations

import re

from api.dependencies import AppServices
from api.services.page_queries import matching
from graph.rdf.identity import ORG_ID, registry_numbers_query

WIKIDATA = re.compile(r"^Q[1-9][0-9]{0,11}$")
WIKIDATA_ENTITY = "http://www.wikidata.org/entity/"


def _query(identifier: str, base: str) -> str | None:
    """The SPARQL that finds the organisations with this identifier, its values serialised as RDF terms."""
    if WIKIDATA.match(identifier):
        return matching(WIKIDATA_ENTITY + identifier)
    found = ORG_ID.match(identifier.upper())
    if not found:
        return None
    return registry_numbers_query([(found["prefix"], found["number"])], base)


async def identified(services: AppServices, identifier: str) -> list[str] | None:
    """The organisations with ``identifier``; None if it is neither form."""
    query = _query(identifier, services.settings.base_uri)
    if query is None:
        return None
    return [row["org"].value for row in await services.public.solutions(query)]
