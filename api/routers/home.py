"""The landing page: what the map is and its shape at a glance, with links into it."""

from __future__ import annotations

from itertools import groupby

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.answers import kept_get
from api.dependencies import Services
from api.renderers.pages import render
from api.responses import PAGE, documented
from api.services.dataset_description import DOWNLOADS
from api.services.saved_rows import saved_rows

router = APIRouter(tags=["Pages"])


@kept_get(router, "/", "The landing page", PAGE)
async def home(request: Request, services: Services) -> Response:
    base = services.settings.base_uri
    counts = await saved_rows(services, "stats-things")
    kinds = await saved_rows(services, "stats-organisations-by-kind")
    nations = await saved_rows(services, "stats-by-nation")
    support = await saved_rows(services, "stats-support-by-concept")

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
