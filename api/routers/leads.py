"""``GET /leads``: pairs of organisations the map does not link but whose activities suggest it should look, each
with its evidence, for a person to confirm (or not) through a normal submission. Never written to the map."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api.dependencies import Services
from api.errors import JSON_PROBLEMS, ProblemError
from api.negotiation import negotiated
from api.renderers.pages import local_href, render
from api.responses import STORE, answers, documented, problem
from graph.rdf.identity import KEY_PATTERN, UriClass

router = APIRouter(tags=["Suggestions"], dependencies=[JSON_PROBLEMS])
OFFERED = ["text/html", "application/json"]
NOTE = (
    "Leads are suggestions from the descriptions, concepts and places on the map, not relationships: confirm one by "
    "submitting a relationship (eco:Relationship) with its source, and it stops being a lead once approved."
)


@router.get(
    "/leads",
    summary="Likely but unrecorded links between organisations, with their evidence",
    description=(
        "Pairs of organisations with alike activities, concepts in common and a place in common, that no "
        "relationship, shared activity or organisational change links yet, best first, each with a score in [0, 1]."
    ),
    response_class=Response,
    responses=documented(
        {
            200: answers("The leads, as a page or JSON", *OFFERED),
            400: problem("organisation is not an organisation's key"),
            404: problem("There is no such organisation on the map"),
            406: problem("Neither Accept nor format= asks for text/html or application/json"),
        },
        STORE,
    ),
)
async def leads(
    request: Request,
    services: Services,
    media_type: Annotated[str, negotiated(*OFFERED)],
    organisation: Annotated[str | None, Query(description="Only this organisation's leads, by key, e.g. odi")] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="How many; an organisation's own are at most 10")] = 50,
) -> Response:
    about = None
    if organisation is not None:
        if not KEY_PATTERN.match(organisation):
            raise ProblemError(400, f"{organisation!r} is not an organisation key: give one like odi.")
        about = services.identity.thing(UriClass.ORGANISATION, organisation)
    found = await services.leads.get()
    if about is not None and about not in found.organisations:
        raise ProblemError(404, f"There is no organisation {organisation!r} on the map.")
    chosen = found.of(about, limit)
    if media_type == "application/json":
        body = {"note": NOTE, "leads": [lead.as_json() for lead in chosen]}
        return JSONResponse(body, headers={"Vary": "Accept"})
    base = services.settings.base_uri
    context = {
        "title": "Leads: links the map may be missing",
        "leads": chosen,
        "note": NOTE,
        "href": lambda iri: local_href(iri, base),
        "as_json": "?" + urlencode({**request.query_params, "format": "json"}),
    }
    response = render(request, "leads.html", context)
    response.headers["Vary"] = "Accept"
    return response
