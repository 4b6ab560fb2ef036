"""``/reconcile``: the W3C Reconciliation Service API (v0.2), so that OpenRefine and catalogues can match
their organisation names and registry numbers to ecomap's URIs, preview them and fetch more about them.

Entity ids are organisation keys (``odi`` for ``{base}/id/organisation/odi``); the one type is org:Organization.
Scoring is in ``graph.matching.reconciliation``; this module reads the store with fixed queries and speaks HTTP.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from api.bodies import BodyTooLargeError, read_body
from api.dependencies import AppServices, Services
from api.errors import JSON_PROBLEMS, ProblemError
from api.renderers.pages import local_href, render
from api.responses import FORM, HTML, STORE, answers, documented, fields, problem
from api.services.extension import extended, preview_values
from graph.matching.reconciliation import (
    MAX_BATCH,
    PROPERTIES,
    TYPE,
    TYPE_IDS,
    Candidates,
    ReconcileError,
    extension_meta,
    parse_batch,
    parse_extend,
    property_entries,
    reconcile,
    suggest_entities,
    suggest_properties,
    suggest_types,
)

router = APIRouter(tags=["Reconciliation"], dependencies=[JSON_PROBLEMS])
BODY_LIMIT = 1_000_000
SUGGESTIONS = 10
PREVIEW_WIDTH, PREVIEW_HEIGHT = 400, 220
QUERIES = Annotated[str | None, Query(description='A JSON batch: {"q0": {"query": "Open Data Institute"}}')]
EXTEND = Annotated[str | None, Query(description='JSON: {"ids": ["odi"], "properties": [{"id": "registry-number"}]}')]
PREFIX = Annotated[str, Query(description="What the user has typed so far")]
CURSOR = Annotated[str, Query(description="How many suggestions to skip")]


def _manifest(request: Request, services: AppServices) -> dict[str, Any]:
    base = services.settings.base_uri  # never the request's Host header, which anyone can set
    service = base + "/reconcile"
    return {
        "versions": ["0.2"],
        "name": "ecomap: organisations in the UK data ecosystem",
        "identifierSpace": f"{base}/id/organisation/",
        "schemaSpace": f"{base}/def/ecosystem",
        "documentation": base + "/docs#/Reconciliation",
        "batchSize": MAX_BATCH,
        "view": {"url": f"{base}/id/organisation/{{{{id}}}}"},
        "defaultTypes": [TYPE],
        "preview": {"url": f"{service}/preview?id={{{{id}}}}", "width": PREVIEW_WIDTH, "height": PREVIEW_HEIGHT},
        "suggest": {
            name: {"service_url": service, "service_path": f"/suggest/{name}"}
            for name in ("entity", "type", "property")
        },
        "extend": {"propose_properties": {"service_url": service, "service_path": "/propose_properties"}},
    }


async def _answer(services: AppServices, params: Mapping[str, str]) -> Response:
    """Reconcile a batch (``queries``) or extend entities (``extend``), whichever was sent."""
    base = services.settings.base_uri
    try:
        if "queries" in params:
            batch = parse_batch(params["queries"])
            found = await services.reconciliation_candidates.get() if batch else Candidates({})
            # Scoring is CPU work: off the event loop, so that a large batch does not hold up other requests.
            results = await run_in_threadpool(
                lambda: {key: {"result": reconcile(query, found, base)} for key, query in batch.items()}
            )
            return JSONResponse(results)
        if "extend" in params:
            ids, properties = parse_extend(params["extend"])
            rows = await extended(services, ids, properties)
            return JSONResponse({"meta": extension_meta(properties), "rows": rows})
    except ReconcileError as error:
        raise ProblemError(400, str(error)) from None
    raise ProblemError(400, "Send a reconciliation batch as queries=..., or a data extension query as extend=....")


async def _form(request: Request) -> dict[str, str] | None:
    """The form fields of a POST (OpenRefine sends queries= form-encoded), over the URL's; None if too large."""
    try:
        body = await read_body(request, BODY_LIMIT)
    except BodyTooLargeError:
        return None
    return {**request.query_params, **dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))}


UNREADABLE = {400: problem("The batch or extension query cannot be read, or neither was sent")}
# The answers' shapes, as the Reconciliation API 0.2 schemas define them (tests/specs/reconciliation-0.2 has them whole;
# tests/test_reconciliation.py validates the answers against those): the essentials, for the OpenAPI's readers.
CANDIDATE = {
    "type": "object",
    "required": ["id", "name", "score", "match"],
    "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "score": {"type": "number"},
        "match": {"type": "boolean"},
        "type": {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "string"}}}},
    },
}
BATCH_RESULTS = {
    "type": "object",
    "description": "For each query's key (q0, q1…), its candidates, best first",
    "additionalProperties": {
        "type": "object",
        "required": ["result"],
        "properties": {"result": {"type": "array", "items": CANDIDATE}},
    },
}
EXTENSION = {
    "type": "object",
    "required": ["meta", "rows"],
    "properties": {"meta": {"type": "array"}, "rows": {"type": "object"}},
}
MANIFEST = {
    "type": "object",
    "required": ["versions", "name", "identifierSpace", "schemaSpace"],
    "properties": {"versions": {"type": "array", "items": {"type": "string"}}, "name": {"type": "string"}},
}


def _answering(description: str, *shapes: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {200: {"description": description, "content": {"application/json": {"schema": {"anyOf": list(shapes)}}}}}


TOO_LARGE = {413: problem("The request is larger than the service takes")}
CURSOR_ERROR = {400: problem("cursor is not a whole number")}


# The JSON a POST's form fields hold (OpenRefine sends them form-encoded), as the OpenAPI's examples.
QUERIES_FIELD = {"queries": '{"q0": {"query": "Open Data Institute"}}'}
EXTEND_FIELD = {"extend": '{"ids": ["odi"], "properties": [{"id": "website"}]}'}


@router.get(
    "/reconcile",
    summary="The service manifest; or reconcile ?queries=..., or extend ?extend=...",
    responses=documented(
        _answering(
            "The manifest, the candidates of each query, or the properties asked", MANIFEST, BATCH_RESULTS, EXTENSION
        ),
        UNREADABLE,
        STORE,
    ),
)
async def service(request: Request, services: Services, queries: QUERIES = None, extend: EXTEND = None) -> Response:
    if queries is None and extend is None:
        return JSONResponse(_manifest(request, services))
    return await _answer(services, request.query_params)


@router.post(
    "/reconcile",
    summary="Reconcile a batch (form field queries) or extend entities (form field extend)",
    responses=documented(
        _answering("The candidates of each query, or the properties asked", BATCH_RESULTS, EXTENSION),
        UNREADABLE,
        TOO_LARGE,
        STORE,
    ),
    openapi_extra=fields(FORM, {**QUERIES_FIELD, **EXTEND_FIELD}, optional=("queries", "extend")),
)
async def service_post(request: Request, services: Services) -> Response:
    form = await _form(request)
    if form is None:
        raise ProblemError(413, f"The request is larger than {BODY_LIMIT} bytes; send smaller batches.")
    return await _answer(services, form)


@router.get(
    "/reconcile/extend",
    summary="Data extension: property values of reconciled organisations",
    responses=documented(UNREADABLE, STORE),
)
async def extend_get(services: Services, extend: EXTEND = None) -> Response:
    return await _answer(services, {"extend": extend} if extend is not None else {})


@router.post(
    "/reconcile/extend",
    summary="Data extension (form field extend)",
    responses=documented(UNREADABLE, TOO_LARGE, STORE),
    openapi_extra=fields(FORM, EXTEND_FIELD),
)
async def extend_post(request: Request, services: Services) -> Response:
    form = await _form(request)
    if form is None:
        raise ProblemError(413, f"The request is larger than {BODY_LIMIT} bytes; ask for fewer ids.")
    return await _answer(services, {"extend": form["extend"]} if "extend" in form else {})


@router.get(
    "/reconcile/propose_properties",
    summary="Properties that data extension can fetch for a type",
    responses=documented({400: problem("limit is not a whole number")}),
)
async def propose_properties(type: str | None = None, limit: str | None = None) -> Response:
    try:
        count = int(limit) if limit is not None else len(PROPERTIES)
    except ValueError:
        raise ProblemError(400, "limit must be a whole number.") from None
    offered = PROPERTIES if type is None or type in TYPE_IDS else []
    answer: dict[str, Any] = {"type": type or TYPE["id"], "properties": property_entries(offered[: max(count, 0)])}
    if limit is not None:
        answer["limit"] = count
    return JSONResponse(answer)


def _cursor(cursor: str) -> int | None:
    # ASCII digits only: "²" is a digit to str.isdigit() but not to int().
    return int(cursor) if cursor.isascii() and cursor.isdigit() else None


@router.get(
    "/reconcile/suggest/entity",
    summary="Organisations whose names start with, or hold, what was typed",
    responses=documented(CURSOR_ERROR, STORE),
)
async def suggest_entity(services: Services, prefix: PREFIX = "", cursor: CURSOR = "0") -> Response:
    skip = _cursor(cursor)
    if skip is None:
        raise ProblemError(400, "cursor must be a whole number of suggestions to skip.")
    found = await services.reconciliation_candidates.get()
    return JSONResponse({"result": suggest_entities(prefix, found, skip, SUGGESTIONS)})


@router.get(
    "/reconcile/suggest/type",
    summary="The types to reconcile against (organisations)",
    responses=documented(CURSOR_ERROR),
)
async def suggest_type(prefix: PREFIX = "", cursor: CURSOR = "0") -> Response:
    skip = _cursor(cursor)
    if skip is None:
        raise ProblemError(400, "cursor must be a whole number of suggestions to skip.")
    return JSONResponse({"result": suggest_types(prefix)[skip:]})


@router.get(
    "/reconcile/suggest/property", summary="Properties to match on or fetch", responses=documented(CURSOR_ERROR)
)
async def suggest_property(prefix: PREFIX = "", cursor: CURSOR = "0") -> Response:
    skip = _cursor(cursor)
    if skip is None:
        raise ProblemError(400, "cursor must be a whole number of suggestions to skip.")
    return JSONResponse({"result": suggest_properties(prefix)[skip : skip + SUGGESTIONS]})


@router.get(
    "/reconcile/preview",
    summary="A small HTML summary of an organisation, for a client's preview pane",
    response_class=Response,
    responses=documented(
        {
            200: answers("The summary", HTML),
            400: problem("No id given"),
            404: answers("The summary of an organisation the map does not hold", HTML),
        },
        STORE,
    ),
)
async def preview(request: Request, services: Services, id: str | None = None) -> Response:
    if not id:
        raise ProblemError(400, "Give the organisation's id, e.g. /reconcile/preview?id=odi.")
    base = services.settings.base_uri
    iri = f"{base}/id/organisation/{id}"
    values = await preview_values(services, id)
    context = {
        "key": id,
        "iri": iri,
        "href": local_href(iri, base),
        "names": values["name"],
        "kinds": values["kind"],
        "based_in": values["based-in"],
        "operates_in": values["operates-in"],
        "websites": [{"text": site, "href": local_href(site, base)} for site in values["website"]],
        "identifiers": values["registry-number"],
    }
    return render(request, "reconcile_preview.html", context, 200 if values["name"] else 404)
