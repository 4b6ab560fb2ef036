"""Data extension for reconciliation clients (OpenRefine and other catalogues): chosen properties of organisations
matched before, as the Reconciliation API's rows; the same for one organisation's preview."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from api.dependencies import AppServices
from graph.matching.reconciliation import PREVIEW, Property, extension_query, extension_rows
from graph.rdf.identity import KEY_PATTERN
from graph.rdf.results import strings


async def extended(services: AppServices, ids: list[str], properties: list[Property]) -> dict[str, Any]:
    """Each organisation's values of ``properties``, by its id; an id ecomap could not have minted has none."""
    base = services.settings.base_uri
    iris = [ox.NamedNode(f"{base}/id/organisation/{key}") for key in ids if KEY_PATTERN.match(key)]
    rows = await services.public.solutions(extension_query(iris, properties)) if iris and properties else []
    return extension_rows(ids, properties, strings(rows), base)


async def preview_values(services: AppServices, key: str) -> dict[str, list[str]]:
    """The preview's properties of organisation ``key``, each a list of strings (empty if there is no such one)."""
    values: dict[str, list[str]] = {p.id: [] for p in PREVIEW}
    if KEY_PATTERN.match(key):
        cells = (await extended(services, [key], PREVIEW))[key]
        values = {pid: [cell["str"] for cell in found] for pid, found in cells.items()}
    return values
