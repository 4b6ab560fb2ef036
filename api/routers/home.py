"""The landing page: what the map is and its shape at a glance, with links into it."""

from __future__ import annotations

from itertools import groupby

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.answers import KEPT
from api.dependencies import Services
from api.renderers.pages import render
from api.responses import NOT_MODIFIED, PAGE, STORE, documented
from api.services.dataset_description import DOWNLOADS
from graph.queries import load_query

router = APIRouter(tags=["Pages"])


@router.get(
    "/",
    summary="The landing page",
    response_class=Response,
    responses=documented(PAGE, NOT_MODIFIED, STORE),
    openapi_extra=KEPT,
)
async def home(request: Request, services: Services) -> Response:
    public, base = services.public, services.settings.base_uri
    counts = await public.solutions(load_query("stats-things").text)
    kinds = await public.solutions(load_query("stats-organisations-by-kind").text)
    nations = await public.solutions(load_query("stats-by-nation").text)
    support = await public.solutions(load_query("stats-support-by-concept").text)

    def key(row: dict, name: str) -> str:
        return row[name].value.rsplit("/", 1)[-1]

    schemes = [
        (
            scheme,
            [(row["label"].value, row["organisations"].value, row["concept"].value[len(base) + 1 :]) for row in rows],
        )
        for scheme, rows in groupby(support, key=lambda row: row["schemeLabel"].value)
    ]
    return render(
        request,
        "home.html",
        {
            "title": "Home",
            "downloads": DOWNLOADS,
            "counts": [(row["kind"].value, row["count"].value) for row in counts],
            "kinds": [(row["kind"].value, row["organisations"].value, key(row, "concept")) for row in kinds],
            "nations": [
                (row["label"].value, row["organisations"].value, row["activities"].value, key(row, "nation"))
                for row in nations
            ],
            "schemes": schemes,
        },
    )


@router.get(
    "/accessibility", summary="The accessibility statement", response_class=Response, responses=documented(PAGE)
)
async def accessibility(request: Request) -> Response:
    return render(request, "accessibility.html", {"title": "Accessibility statement"})
