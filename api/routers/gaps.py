"""The gap analysis for people: a heatmap of concept by place (``/gaps``), the same as SVG and PNG for reports,
and, behind each cell, the organisations it counts (``/gaps/organisations``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from api.answers import kept_get
from api.dependencies import Services
from api.errors import ProblemError
from api.renderers.pages import local_href, render
from api.responses import PAGE, answers, problem
from api.services import gap_analysis
from api.services.coverage import SCHEMES, Matrix, as_png, as_svg

router = APIRouter(tags=["Gap analysis"])
Scheme = Annotated[str, Query(description="The concept scheme: " + ", ".join(SCHEMES))]


def _unknown(scheme: str) -> ProblemError:
    return ProblemError(400, f"scheme must be one of {', '.join(SCHEMES)}, not {scheme!r}")


UNKNOWN_SCHEME = {400: problem("scheme is not one of the schemes drawn")}


@kept_get(router, "/gaps", "The gap analysis: a heatmap of concept by nation and region", PAGE, UNKNOWN_SCHEME)
async def gaps(request: Request, services: Services, scheme: Scheme = SCHEMES[0]) -> Response:
    if scheme not in SCHEMES:
        raise _unknown(scheme)
    matrix = await gap_analysis.coverage_matrix(services, scheme)
    names = await gap_analysis.scheme_names(services)
    label = names.get(scheme, scheme)
    base = services.settings.base_uri
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


def _drawing(suffix: str, draw: Callable[[Matrix, str], str | bytes], media: str) -> None:
    """The heatmap for reports as one picture format, at ``/gaps.{suffix}``."""

    async def drawn(services: Services, scheme: Scheme = SCHEMES[0]) -> Response:
        if scheme not in SCHEMES:
            raise _unknown(scheme)
        matrix = await gap_analysis.coverage_matrix(services, scheme)
        label = (await gap_analysis.scheme_names(services)).get(scheme, scheme)
        return Response(draw(matrix, f"Gap analysis: {label}"), media_type=media)

    drawn.__name__ = f"gaps_{suffix}"  # the route's name and operationId, one a format
    kept_get(
        router,
        f"/gaps.{suffix}",
        f"The gap heatmap as {suffix.upper()}, for reports",
        {200: answers("The heatmap", media)},
        UNKNOWN_SCHEME,
    )(drawn)


_drawing("svg", as_svg, "image/svg+xml")
_drawing("png", as_png, "image/png")


@kept_get(
    router,
    "/gaps/organisations",
    "The organisations behind one cell of the gap heatmap",
    PAGE,
    {400: problem("area or place is missing, or names nothing")},
)
async def cell(
    request: Request,
    services: Services,
    area: Annotated[str, Query(description="The concept, e.g. def/m1-principle/address-risks")],
    place: Annotated[str, Query(description="The place, e.g. id/place/S92000003")],
) -> Response:
    found = await gap_analysis.cell(services, area, place)
    base = services.settings.base_uri
    rows = [
        {
            "organisation": row["name"].value,
            "organisation_href": local_href(row["organisation"].value, base),
            "activity": row["activity_name"].value,
            "activity_href": local_href(row["activity"].value, base),
        }
        for row in found.rows
    ]
    context = {"title": f"{found.area} in {found.place}", "rows": rows, "area": found.area, "place": found.place}
    return render(request, "gaps_cell.html", context)
