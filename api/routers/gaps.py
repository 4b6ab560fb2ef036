"""The gap analysis for people: a heatmap of concept by place (``/gaps``), the same as SVG and PNG for reports,
and, behind each cell, the organisations it counts (``/gaps/organisations``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.answers import KEPT
from api.dependencies import AppServices, Services
from api.errors import ProblemError
from api.renderers.pages import local_href, render
from api.responses import NOT_MODIFIED, PAGE, STORE, answers, documented, problem
from api.services.coverage import SCHEMES, Matrix, as_png, as_svg, matrix_from_rows
from api.services.page_queries import english_labels
from api.services.saved_rows import saved_rows
from graph.queries import ParameterError, load_query

router = APIRouter(tags=["Gap analysis"])
Scheme = Annotated[str, Query(description="The concept scheme: " + ", ".join(SCHEMES))]


async def _matrix(services: AppServices, scheme: str) -> tuple[Matrix, str]:
    rows = await saved_rows(services, "coverage-matrix", scheme=f"def/{scheme}")
    labels = await services.public.solutions(english_labels([services.identity.resolve(f"def/{scheme}")]))
    return matrix_from_rows(scheme, rows), labels[0]["label"].value if labels else scheme


def _unknown(scheme: str) -> ProblemError:
    return ProblemError(400, f"scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}")


UNKNOWN_SCHEME = {400: problem("scheme is not one of the schemes drawn")}


@router.get(
    "/gaps",
    openapi_extra=KEPT,
    summary="The gap analysis: a heatmap of concept by nation and region",
    response_class=Response,
    responses=documented(PAGE, UNKNOWN_SCHEME, NOT_MODIFIED, STORE),
)
async def gaps(request: Request, services: Services, scheme: Scheme = SCHEMES[0]) -> Response:
    if scheme not in SCHEMES:
        raise _unknown(scheme)
    matrix, label = await _matrix(services, scheme)
    schemes = await services.public.solutions(english_labels(services.identity.resolve(f"def/{s}") for s in SCHEMES))
    base = services.settings.base_uri
    names = {row["thing"].value.rsplit("/", 1)[1]: row["label"].value for row in schemes}
    context = {
        "title": f"Gap analysis: {label}",
        "scheme": scheme,
        "schemes": [(s, names.get(s, s)) for s in SCHEMES],
        "matrix": matrix,
        "highest": matrix.highest,
        "concept_href": {iri: local_href(iri, base) for iri, _ in matrix.concepts},
        "place_path": {p.iri: (local_href(p.iri, base) or p.iri).lstrip("/") for p in matrix.places},
        "concept_path": {iri: (local_href(iri, base) or iri).lstrip("/") for iri, _ in matrix.concepts},
    }
    return render(request, "gaps.html", context)


async def _drawn(
    services: AppServices, scheme: str, draw: Callable[[Matrix, str], str | bytes], media: str
) -> Response:
    if scheme not in SCHEMES:
        raise _unknown(scheme)
    matrix, label = await _matrix(services, scheme)
    return Response(draw(matrix, f"Gap analysis: {label}"), media_type=media)


@router.get(
    "/gaps.svg",
    openapi_extra=KEPT,
    summary="The gap heatmap as SVG, for reports",
    response_class=Response,
    responses=documented({200: answers("The heatmap", "image/svg+xml")}, UNKNOWN_SCHEME, NOT_MODIFIED, STORE),
)
async def gaps_svg(services: Services, scheme: Scheme = SCHEMES[0]) -> Response:
    return await _drawn(services, scheme, as_svg, "image/svg+xml")


@router.get(
    "/gaps.png",
    openapi_extra=KEPT,
    summary="The gap heatmap as PNG, for reports",
    response_class=Response,
    responses=documented({200: answers("The heatmap", "image/png")}, UNKNOWN_SCHEME, NOT_MODIFIED, STORE),
)
async def gaps_png(services: Services, scheme: Scheme = SCHEMES[0]) -> Response:
    return await _drawn(services, scheme, as_png, "image/png")


@router.get(
    "/gaps/organisations",
    openapi_extra=KEPT,
    summary="The organisations behind one cell of the gap heatmap",
    response_class=Response,
    responses=documented(PAGE, {400: problem("area or place is missing, or names nothing")}, NOT_MODIFIED, STORE),
)
async def cell(
    request: Request,
    services: Services,
    area: Annotated[str, Query(description="The concept, e.g. def/m1-principle/address-risks")],
    place: Annotated[str, Query(description="The place, e.g. id/place/S92000003")],
) -> Response:
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
    base = services.settings.base_uri
    named = {row["thing"].value: row["label"].value for row in labels}
    found = [
        {
            "organisation": row["name"].value,
            "organisation_href": local_href(row["organisation"].value, base),
            "activity": row["activity_name"].value,
            "activity_href": local_href(row["activity"].value, base),
        }
        for row in rows
    ]
    area_label, place_label = named.get(terms["area"].value, area), named.get(terms["place"].value, place)
    context = {"title": f"{area_label} in {place_label}", "rows": found, "area": area_label, "place": place_label}
    return render(request, "gaps_cell.html", context)
