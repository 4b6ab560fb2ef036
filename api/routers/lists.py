"""List pages: organisations and activities, filtered, searched and paged, as HTML or JSON."""

from __future__ import annotations

import math
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from api import formats
from api.answers import KEPT
from api.dependencies import AppServices, Services
from api.errors import ProblemError
from api.negotiation import negotiated
from api.renderers.pages import local_href, render
from api.responses import NOT_MODIFIED, STORE, answers, documented, problem
from api.services.listing import (
    KINDS,
    FilterError,
    Filters,
    Kind,
    filter_options,
    list_page,
    parse_filters,
)

router = APIRouter(tags=["Lists"])
JSON = "application/json"


async def _list(
    request: Request,
    services: AppServices,
    kind: Kind,
    filters: Filters,
    selected: dict[str, str],
    page: int,
    per_page: int,
    chosen: str,
) -> Response:
    """One page of a list; ``selected`` holds the filters as they were given, for the form to show them again."""
    total, rows = await list_page(services, kind, filters, page, per_page)
    pages = max(1, math.ceil(total / per_page))
    base = services.settings.base_uri
    items = [
        {
            "iri": row["item"].value,
            "href": local_href(row["item"].value, base),
            "name": row["label"].value,
            "kinds": row["kinds"].value if "kinds" in row else "",
        }
        for row in rows
    ]
    params = {k: v for k, v in request.query_params.items() if k not in ("page",)}

    def page_url(n: int) -> str:
        return f"/{kind.name}?" + urlencode({**params, "page": n})

    links = {"first": page_url(1), "last": page_url(pages)}
    if page > 1:
        links["prev"] = page_url(min(page - 1, pages))
    if page < pages:
        links["next"] = page_url(page + 1)
    headers = {"Link": ", ".join(f'<{url}>; rel="{rel}"' for rel, url in links.items()), "Vary": "Accept"}
    if chosen == JSON:
        body = {"total": total, "page": page, "per_page": per_page, "pages": pages, "items": items, "links": links}
        return JSONResponse(body, headers=headers)
    options = await filter_options(services, kind)
    response = render(
        request,
        "list.html",
        {
            "title": kind.title,
            "kind": kind,
            "items": items,
            "total": total,
            "page": page,
            "pages": pages,
            "links": links,
            "options": options,
            "selected": selected,
            "filtered": filters.active(),
        },
    )
    response.headers.update(headers)
    return response


PageNumber = Annotated[int, Query(ge=1, description="Page number, from 1")]
PerPage = Annotated[int, Query(ge=1, le=500, description="Items per page")]


def _register(kind: Kind) -> None:
    """One route per kind of list, so that each is documented in the OpenAPI description."""

    async def listing(
        request: Request,
        services: Services,
        chosen: Annotated[str, negotiated(formats.HTML, JSON)],
        area: str | None = None,
        place: str | None = None,
        kind_key: Annotated[str | None, Query(alias="kind")] = None,
        strategy: str | None = None,
        q: str | None = None,
        page: PageNumber = 1,
        per_page: PerPage = 50,
    ) -> Response:
        try:
            filters = parse_filters(services.settings.base_uri, kind, area, place, kind_key, strategy, q)
        except (FilterError, ValueError) as error:
            raise ProblemError(400, str(error)) from None
        selected = {"area": area, "place": place, "kind": kind_key, "strategy": strategy, "q": q}
        shown = {name: value or "" for name, value in selected.items()}
        return await _list(request, services, kind, filters, shown, page, per_page, chosen)

    summary = f"{kind.title}, filtered by priority area, place, kind or strategy, and searched by name"
    router.add_api_route(
        f"/{kind.name}",
        listing,
        methods=["GET"],
        openapi_extra=KEPT,
        summary=summary,
        name=kind.name,
        response_class=Response,
        responses=documented(
            {
                200: answers("One page of the list, as a page or JSON", formats.HTML, JSON),
                400: problem("A filter names nothing ecomap knows"),
                406: problem("Accept names neither text/html nor application/json"),
            },
            NOT_MODIFIED,
            STORE,
        ),
    )


for _kind in KINDS.values():
    _register(_kind)
