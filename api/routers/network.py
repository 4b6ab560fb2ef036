"""The network map: organisations and how they work together, filterable by priority area (or any concept),
place and kind, drawn in the browser with Cytoscape.js (installed from the npm registry, served by the app).
Without JavaScript the page lists the same links as a table."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api import formats
from api.answers import KEPT
from api.dependencies import AppServices, Services
from api.errors import ProblemError
from api.negotiation import negotiated
from api.renderers.pages import json_script, local_href, render
from api.responses import NOT_MODIFIED, STORE, answers, documented, problem
from api.services.listing import ORGANISATIONS, FilterError, options_query, page_query, parse_filters
from api.services.network_graph import EDGES_QUERY, network

router = APIRouter(tags=["Network"])
MAX_NODES = 2000


async def _elements(services: AppServices, area: str | None, place: str | None, kind: str | None) -> dict[str, Any]:
    base = services.settings.base_uri
    filters = parse_filters(base, ORGANISATIONS, area, place, kind, None, None)
    rows = await services.public.solutions(page_query(ORGANISATIONS, filters, 0, MAX_NODES))
    nodes = [
        {
            "iri": row["item"].value,
            "name": row["label"].value,
            "href": local_href(row["item"].value, base),
            "kinds": row["kinds"].value if "kinds" in row else "",
        }
        for row in rows
    ]
    edges = await services.public.solutions(EDGES_QUERY)
    return network(nodes, edges, base)


@router.get(
    "/network",
    openapi_extra=KEPT,
    summary="The network map of organisations and their links (HTML, or Cytoscape.js elements as JSON)",
    response_class=Response,
    responses=documented(
        {
            200: answers("The map, or its elements as JSON", formats.HTML, "application/json"),
            400: problem("A filter names nothing ecomap knows"),
            406: problem("Accept names neither text/html nor application/json"),
        },
        NOT_MODIFIED,
        STORE,
    ),
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
        elements = await _elements(services, area or None, place or None, kind or None)
        choices = await services.public.solutions(options_query(ORGANISATIONS))
    except (FilterError, ValueError) as error:
        raise ProblemError(400, str(error)) from None
    if wanted == "application/json":
        return JSONResponse(elements, headers={"Vary": "Accept"})
    base = services.settings.base_uri
    options: dict[str, list[dict[str, str]]] = {"area": [], "place": [], "kind": []}
    for row in choices:
        name, value = row["filter"].value, row["value"].value
        if name in options:
            short = value[len(base) + 1 :] if name == "area" else value.rsplit("/", 1)[-1]
            options[name].append({"value": short, "label": row["label"].value, "group": row["group"].value})
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
