"""The ontology's main classes and the properties between them, as the public store holds them, for the guide's
diagram."""

from __future__ import annotations

from api.dependencies import AppServices
from api.services.page_queries import OBJECT_PROPERTIES


async def object_properties(services: AppServices) -> list[tuple[str, str, str]]:
    """Each object property with its domain and range."""
    rows = await services.public.solutions(OBJECT_PROPERTIES)
    return [(r["property"].value, r["domain"].value, r["range"].value) for r in rows]
