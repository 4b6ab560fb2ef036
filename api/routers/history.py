"""A record's history: every approved version, newest first, with when and from which submission.

The versions live in the staging store (graph.contributions.history), read by api.services.record_history. A page
for people, JSON for programs, and each version's statements as Turtle.
"""

from __future__ import annotations

from typing import Annotated

import pyoxigraph as ox
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api import formats
from api.dependencies import AppServices, Services
from api.errors import NotFoundError
from api.negotiation import negotiated
from api.paths import ClassPath, KeyPath
from api.renderers.pages import render
from api.responses import NOT_FOUND, STORE, answers, documented, problem
from api.services import record_history
from graph.contributions.history import Version
from graph.metadata import utc_stamp
from graph.rdf.identity import KEY_PATTERN, checked_class

router = APIRouter(tags=["Linked data"])
OFFERED = [formats.HTML, "application/json"]


def _record(services: AppServices, uri_class: str, key: str) -> tuple[str, str] | None:
    """The record graph and document of a well-formed address, or None."""
    cls = checked_class(uri_class, key)
    if cls is None:
        return None
    return services.identity.record_graph(cls, key), services.identity.document(cls, key)


@router.get(
    "/doc/{uri_class}/{key}/history",
    summary="Every approved version of a record, newest first",
    response_class=Response,
    responses=documented(
        {
            200: answers("The versions, as a page or JSON", *OFFERED),
            406: problem("format= names neither html nor json"),
        },
        NOT_FOUND,
        STORE,
    ),
)
async def history(
    uri_class: ClassPath,
    key: KeyPath,
    request: Request,
    services: Services,
    media_type: Annotated[str, negotiated(*OFFERED, fallback="application/json")],
) -> Response:
    found = _record(services, uri_class, key)
    if found is None:
        raise NotFoundError(f"{services.settings.base_uri}/id/{uri_class}/{key}")
    record, document = found
    kept = await record_history.versions_of(services, record)
    if media_type == "application/json":
        return JSONResponse({"record": record, "versions": [_json(services, v) for v in kept]})
    local = document.removeprefix(services.settings.base_uri)
    rows = [(v, _json(services, v)) for v in kept]
    return render(request, "history.html", {"title": f"History of {local}", "document": local, "versions": rows})


def _json(services: AppServices, version: Version) -> dict[str, str | None]:
    key = version.iri.rsplit("/", 1)[-1]
    return {
        "version": version.iri,
        "generated": utc_stamp(version.generated),
        "submission": version.submission.rsplit("/", 1)[-1] if version.submission else None,
        "revises": version.revises,
        "statements": f"history/{key}.ttl",
    }


@router.get(
    "/doc/{uri_class}/{key}/history/{version}.ttl",
    summary="One version of a record, as Turtle",
    response_class=Response,
    responses=documented(
        {200: answers("The version's statements", "text/turtle"), 404: problem("There is no such version")}, STORE
    ),
)
async def version(uri_class: ClassPath, key: KeyPath, version: str, request: Request, services: Services) -> Response:
    found = _record(services, uri_class, key)
    if found is None or not KEY_PATTERN.match(version):
        raise NotFoundError(f"{services.settings.base_uri}/id/{uri_class}/{key}", "text/plain")
    graph, triples = await record_history.version_statements(services, found[0], version)
    if not triples:
        raise NotFoundError(graph, "text/plain")
    body = ox.serialize(triples, format=ox.RdfFormat.TURTLE)
    return Response(body, media_type="text/turtle; charset=utf-8")
