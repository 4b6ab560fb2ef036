"""The model guide for researchers (``/guide``): a diagram of the ontology's main classes and properties, the
fields of each kind of record as the shapes define them, and, for each saved query, the question it answers
and how it is written."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.answers import KEPT, kept_get
from api.dependencies import AppServices, Services
from api.renderers.diagram import arrows, as_svg
from api.renderers.pages import render
from api.responses import NOT_MODIFIED, PAGE, answers, documented
from api.services.model import object_properties
from api.services.submission_template import template_columns
from graph.queries import all_queries

router = APIRouter(tags=["Linked data"])
RECORDS = ("organisation", "activity", "relationship")


async def _diagram(services: AppServices) -> str:
    return as_svg(arrows(await object_properties(services), services.settings.base_uri))


@kept_get(
    router,
    "/guide/model.svg",
    "The diagram of ecomap's main classes and properties",
    {200: answers("The diagram", "image/svg+xml")},
)
async def model_svg(services: Services) -> Response:
    return Response(await _diagram(services), media_type="image/svg+xml")


@router.get(
    "/guide",
    openapi_extra=KEPT,
    summary="The model guide for researchers",
    response_class=Response,
    responses=documented(PAGE, NOT_MODIFIED),
)
async def guide(request: Request, services: Services) -> Response:
    columns = template_columns(services)
    fields = {
        record: [c for c in columns if record in c.records and c.kind not in ("row", "record", "iri")]
        for record in RECORDS
    }
    queries = [q for q in all_queries() if "downloads" not in q.tags and "statistics" not in q.tags]
    base, prefixes = services.settings.base_uri, services.prefixes
    written = {q.name: q.standalone(base, prefixes) for q in queries}  # whole, as any SPARQL client can run them
    context = {
        "title": "A guide to the model, for researchers",
        "fields": fields,
        "queries": queries,
        "written": written,
    }
    return render(request, "guide.html", context)
