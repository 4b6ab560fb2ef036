"""``/data/…``: the named graphs of the public store, which every document names as where its statements come from
(a record's graph, the metadata, the data version, the places, the sources). Answered as a page, as RDF (the graph's
statements), or as TriG and N-Quads (with the graph's name, and what the metadata says of it)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api import formats
from api.answers import kept_get
from api.dependencies import Services
from api.errors import NotFoundError
from api.negotiation import Suffixed, alternates, suffixed
from api.renderers.graph_page import graph_response
from api.responses import NAMED_GRAPH, NOT_FOUND
from api.services.named_graphs import named_graph

router = APIRouter(tags=["Linked data"])

OFFERED = [formats.HTML, *formats.GRAPHS.values(), *formats.DATASETS.values()]
SUFFIXES = formats.suffixes([*formats.DATASETS.values(), *formats.GRAPHS.values(), formats.HTML])


@kept_get(router, "/data/{path:path}", "A named graph of the map: its statements", NAMED_GRAPH, NOT_FOUND)
async def graph_document(
    path: str, request: Request, services: Services, asked: Annotated[Suffixed, suffixed("path", SUFFIXES, *OFFERED)]
) -> Response:
    iri, media_type = asked.iri_under(services.settings.base_uri, "data"), asked.media_type
    found = await named_graph(services, iri)
    if found is None:
        raise NotFoundError(iri, media_type)
    document = f"/data/{asked.value}"
    response = graph_response(request, services, found, document, media_type)
    response.headers["Link"] = alternates(document, SUFFIXES)
    return response
