"""The dataset for catalogues: VoID at /.well-known/void, DCAT at /dataset, downloads, and a sitemap."""

from __future__ import annotations

from typing import Annotated
from xml.sax.saxutils import escape

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from api import formats
from api.answers import kept_get
from api.dependencies import Services
from api.errors import NotFoundError
from api.negotiation import negotiated
from api.renderers.document_page import page_context, serialise
from api.renderers.jsonld import context
from api.renderers.pages import render
from api.responses import DOCUMENT, NOT_FOUND, STORE, answers, documented
from api.services.dataset_description import DOWNLOADS, cached, description, produce, sitemap_urls

router = APIRouter(tags=["Dataset"])
OFFERED = [*formats.GRAPHS.values(), formats.HTML]


@kept_get(router, "/.well-known/void", "VoID description of the dataset", DOCUMENT, name="void_description")
@kept_get(router, "/dataset", "DCAT and VoID description of the dataset", DOCUMENT)
async def dataset_description(
    request: Request, services: Services, chosen: Annotated[str, negotiated(*OFFERED)]
) -> Response:
    triples = await description(services)
    if chosen == formats.HTML:
        dataset = services.identity.dataset
        return render(
            request,
            "resource.html",
            page_context(services, dataset, services.identity.resolve("doc/dataset/ecomap"), triples),
        )
    return Response(serialise(triples, chosen, services), media_type=chosen, headers={"Vary": "Accept"})


@router.get(
    "/context.jsonld",
    summary="ecomap's compact JSON-LD context",
    response_class=Response,
    responses=documented({200: answers("The context", "application/ld+json")}),
)
async def json_ld_context(services: Services) -> Response:
    return JSONResponse(context(services.settings.base_uri), media_type="application/ld+json")


@router.get(
    "/download/{name}",
    summary="Downloads of the approved public data: N-Quads, Turtle and CSV",
    response_class=Response,
    responses=documented(
        {200: answers("The download: gzip for the RDF, or CSV", "application/gzip", "text/csv")}, NOT_FOUND, STORE
    ),
)
async def download(name: str, request: Request, services: Services) -> Response:
    wanted = next((d for d in DOWNLOADS if d.name == name), None)
    if wanted is None:
        raise NotFoundError(f"/download/{name}")
    path = await cached(services, name, lambda target: produce(services, name, target))
    media_type = "application/gzip" if name.endswith(".gz") else wanted.media_type + "; charset=utf-8"
    return FileResponse(path, media_type=media_type, filename=name)


@kept_get(
    router,
    "/sitemap.xml",
    "Every document on the map, for search engines",
    {200: answers("The sitemap", "application/xml")},
)
async def sitemap(request: Request, services: Services) -> Response:
    urls = await sitemap_urls(services)
    body = '<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n'
    body += "".join(f"  <url><loc>{escape(url)}</loc></url>\n" for url in urls) + "</urlset>\n"
    return Response(body, media_type="application/xml")
