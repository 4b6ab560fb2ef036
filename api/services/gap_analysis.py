"""The gap analysis: how many organisations and activities support each concept of a scheme in each place
(``api.services.coverage`` draws it), and the activities behind one cell."""

from __future__ import annotations

from dataclasses import dataclass

from api.dependencies import AppServices
from api.errors import ProblemError
from api.services.coverage import SCHEMES, Matrix, matrix_from_rows
from api.services.page_queries import english_labels
from api.services.saved_rows import saved_rows
from graph.queries import ParameterError, load_query
from graph.store.interface import Row


async def coverage_matrix(services: AppServices, scheme: str) -> Matrix:
    """The coverage of ``scheme`` (one of :data:`SCHEMES`) by place."""
    return matrix_from_rows(scheme, await saved_rows(services, "coverage-matrix", scheme=f"def/{scheme}"))


async def scheme_names(services: AppServices) -> dict[str, str]:
    """Each drawn scheme's English name, by its key (a page's title and its choice of schemes)."""
    rows = await services.public.solutions(english_labels(services.identity.resolve(f"def/{s}") for s in SCHEMES))
    return {row["thing"].value.rsplit("/", 1)[1]: row["label"].value for row in rows}


@dataclass(frozen=True)
class CellActivities:
    """The activities one cell of the heatmap counts, with their organisations, and the cell's concept and place."""

    area: str
    place: str
    rows: list[Row]


async def cell(services: AppServices, area: str, place: str) -> CellActivities:
    """The cell of concept ``area`` and ``place`` (each an IRI or a path on the map); 400 if either is missing or
    names nothing."""
    query = load_query("organisations-by-priority-area")
    try:
        terms = query.terms({"area": area, "place": place}, services.settings.base_uri)
    except ParameterError as error:
        raise ProblemError(400, str(error)) from None
    for name, example in (("area", "def/m1-principle/address-risks"), ("place", "id/place/S92000003")):
        if name not in terms:
            raise ProblemError(400, f"Give the {name}, e.g. {name}={example}")
    rows = await services.public.solutions(query.bound(terms))
    labels = await services.public.solutions(english_labels([terms["area"].value, terms["place"].value]))
    named = {row["thing"].value: row["label"].value for row in labels}
    return CellActivities(named.get(terms["area"].value, area), named.get(terms["place"].value, place), rows)
