"""Running a saved query for a page: its parameters checked and bound (``graph.queries``), its rows returned."""

from __future__ import annotations

from typing import Any

from api.dependencies import AppServices
from graph.queries import load_query


async def saved_rows(services: AppServices, name: str, **given: str) -> list[dict[str, Any]]:
    """The rows of ``queries/{name}.rq`` with ``given`` parameters; ParameterError if one does not fit."""
    query = load_query(name)
    bound = query.bound(query.terms(given, services.settings.base_uri))
    return await services.public.solutions(bound)
