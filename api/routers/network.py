"""The network map: organisations and how they work together, filterable by priority area (or any concept),
place and kind, drawn in the browser with Cytoscape.js (installed from the npm registry, served by the app).
Without JavaScript the page lists the same links as a table."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api import formats
from api.answers import kept_get
from api.dependencies import Services
from api.errors import ProblemError
from api.negotiation import negotiated
from api.renderers.pages import json_script, render
from api.responses import answers, problem
from api.services.listing import ORGANISATIONS, FilterError, filter_options
from api.services.network_graph import network_elements

router = APIRouter(tags=["Network"])


@kept_get(
    router,
    "/network",
    "The network map of organisations and their links (HTML, or Cytoscape.js elements as JSON)",
    {
        200: answers("The map, or its elements as JSON", formats.HTML, "application/json"),
        400: problem("A filter names nothing ecomap knows"),
        406: problem("Accept names neither text/html nor application/json"),
    },
)
async def network_map(
    request: Request,
    services: Services,
    wanted: Annotated[str, negotiated(formats.HTML, "application/json")],
    area: Annotated[str | None, Query(description="A concept, e.g. def/m1-principle/address-risks")] = None,
    place: Annotated[str | None, Query(description="A GSS code, e.g. S92000003")] = None,
    kind: Annotated[str | None, Query(description="A kind of organisation, e.g. charity-or-non-profit")] = None,
) -> Response:
    try:
        elements = await network_elements(services, area or None, place or None, kind or None)
    except (FilterError, ValueError) as error:
        raise ProblemError(400, str(error)) from None
    if wanted == "application/json":
        return JSONResponse(elements, headers={"Vary": "Accept"})
    offered = await filter_options(services, ORGANISATIONS)
    options = {name: offered[name] for name in ("area", "place", "kind")}
    names = {n["id"]: n["label"] for n in elements["nodes"]}
    context = {
        "title": "Network map",
        "elements": json_script(elements),
        "nodes": elements["nodes"],
        "edges": [
            {**e, "source_name": names[e["source"]], "target_name": names[e["target"]]} for e in elements["edges"]
        ],
        "options": options,
        "selected": {"area": area or "", "place": place or "", "kind": kind or ""},
    }
    page = render(request, "network.html", context)
    page.headers["Vary"] = "Accept"
    return page
