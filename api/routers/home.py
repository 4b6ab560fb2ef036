"""The landing page: what the map is and its shape at a glance, with links into it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.dataset import DOWNLOADS
from api.dependencies import Services
from api.pages import local_href, render
from api.renderers import Value
from api.upstream import UpstreamError
from graph.queries import load_query

router = APIRouter(tags=["Pages"])

ORGANISATIONS = """SELECT ?organisation (SAMPLE(?label) AS ?name) WHERE {
  ?organisation a/rdfs:subClassOf* org:Organization ; skos:prefLabel ?label FILTER(LANG(?label) = "en")
} GROUP BY ?organisation ORDER BY LCASE(?name)"""


@router.get("/", summary="The landing page", response_class=Response)
async def home(request: Request, services: Services) -> Response:
    try:
        counts = await services.upstream.solutions(services.prologue + load_query("stats-things").text)
        organisations = await services.upstream.solutions(services.prologue + ORGANISATIONS)
    except UpstreamError as error:
        return Response(
            error.message + "\n", status_code=error.status, media_type="text/plain", headers={"Retry-After": "5"}
        )
    base = services.settings.base_uri
    return render(
        request,
        "home.html",
        {
            "title": "Home",
            "downloads": DOWNLOADS,
            "counts": [(row["kind"].value, row["count"].value) for row in counts],
            "organisations": [
                Value(row["name"].value, href=local_href(row["organisation"].value, base)) for row in organisations
            ],
        },
    )


@router.get("/accessibility", summary="The accessibility statement", response_class=Response)
async def accessibility(request: Request) -> Response:
    return render(request, "accessibility.html", {"title": "Accessibility statement"})
