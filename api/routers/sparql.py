"""``/sparql``: the SPARQL 1.1 Protocol for queries, read-only, with a timeout and no SERVICE calls."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api import formats
from api.bodies import BodyTooLargeError, read_body
from api.conneg import choose
from api.dependencies import Services
from api.errors import ProblemError
from api.renderers.pages import json_script, render
from api.renderers.service_description import service_description
from api.responses import FORM, QUERY, QUERY_EXAMPLE, answers, documented, problem
from api.services.querying import Asker, run_query
from graph.queries import all_queries

router = APIRouter(tags=["SPARQL"])


# Declared here, read by the route from the query string as sent (as the saved queries read theirs): FastAPI's
# parsing and checking of each parameter was a tenth of a lookup's CPU in the worker (profiled), and the route
# reads the query string again anyway, to refuse what is not UTF-8.
GET_PARAMETERS = [
    {
        "name": "query",
        "in": "query",
        "required": False,
        "description": "The SPARQL query",
        "schema": {"type": "string"},
        "example": QUERY_EXAMPLE,
    },
    *(
        {"name": name, "in": "query", "required": False, "schema": {"type": "array", "items": {"type": "string"}}}
        for name in ("default-graph-uri", "named-graph-uri")
    ),
    {
        "name": "format",
        "in": "query",
        "required": False,
        "description": "json, xml, csv, tsv, ttl, jsonld, nt or rdf",
        "schema": {"type": "string"},
    },
]


@router.get(
    "/sparql",
    summary="SPARQL query (GET)",
    response_class=Response,
    responses=documented(
        {
            200: answers(
                "Query results, chosen by Accept or format; without a query, the query form (HTML) or the service "
                "description (RDF)",
                *formats.RESULTS.values(),
                *formats.GRAPHS.values(),
                formats.HTML,
            ),
            400: problem("Syntax error, an update, or a forbidden SERVICE call"),
        },
        QUERY,
    ),
    openapi_extra={"parameters": GET_PARAMETERS},
)
async def sparql_get(request: Request, services: Services) -> Response:
    """Run a query given as ``?query=``; without one, describe the service (RDF) or show the query form (HTML)."""
    fields = _utf8_fields(request.scope["query_string"], "URL")
    if "query" not in fields:
        return _without_query(request, services)
    if len(fields["query"]) != 1:
        raise ProblemError(400, "Send exactly one query, as the parameter 'query'.")
    return await _run(request, services, fields["query"][0], fields)


@router.post(
    "/sparql",
    summary="SPARQL query (POST)",
    response_class=Response,
    responses=documented(
        {
            200: answers(
                "Query results, chosen by Accept or format", *formats.RESULTS.values(), *formats.GRAPHS.values()
            ),
            400: problem("No Content-Type, no single query, an update, a syntax error, or a forbidden SERVICE call"),
            413: problem("The request is larger than the endpoint takes"),
            415: problem("Neither application/sparql-query nor a form (application/sparql-update is refused)"),
        },
        QUERY,
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/sparql-query": {"schema": {"type": "string"}, "example": QUERY_EXAMPLE},
                FORM: {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "query": {"type": "string"},
                            "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                            "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                            "format": {"type": "string"},
                        },
                        "required": ["query"],
                    },
                    "example": {"query": QUERY_EXAMPLE},
                },
            },
        }
    },
)
async def sparql_post(request: Request, services: Services) -> Response:
    """Run a query sent as ``application/sparql-query`` or as a form with ``query=``."""
    media_type, _, parameters = request.headers.get("content-type", "").partition(";")
    media_type = media_type.strip().lower()
    _utf8_declared(parameters)
    if media_type == "application/sparql-update":
        raise ProblemError(415, "This SPARQL endpoint is read-only: it does not accept application/sparql-update.")
    if media_type == "application/sparql-query":
        text = _utf8(await _limited_body(request, services), "query")
        return await _run(request, services, text, _utf8_fields(request.scope["query_string"], "URL"))
    if media_type == FORM:
        form = _utf8_fields(await _limited_body(request, services), "form")
        if "update" in form:
            raise ProblemError(400, "This SPARQL endpoint is read-only: it answers queries, not updates.")
        if len(form.get("query", [])) != 1:
            raise ProblemError(400, "Send exactly one query, as the form field 'query'.")
        return await _run(request, services, form["query"][0], form)
    if not media_type:
        raise ProblemError(400, "Say what the body is: Content-Type application/sparql-query, or a form with query=.")
    raise ProblemError(
        415, f"Unsupported media type {media_type}: send application/sparql-query or a form with query=."
    )


async def _run(request: Request, services: Services, query: str, fields: dict[str, list[str]]) -> Response:
    """Run ``query`` over the dataset the protocol's fields name, answering in their ``format`` (given twice, the
    last, as a URL's later parameter overrides an earlier one)."""
    return await run_query(
        Asker.of(request),
        services,
        query,
        fields.get("default-graph-uri", []),
        fields.get("named-graph-uri", []),
        fields["format"][-1] if "format" in fields else None,
    )


async def _limited_body(request: Request, services: Services) -> bytes:
    """The body, refused (413) past the size a query of the longest allowed length can take."""
    limit = services.settings.query_max_length * 4 + 16_384  # percent-encoding, and the other form fields
    try:
        return await read_body(request, limit)
    except BodyTooLargeError:
        raise ProblemError(413, "The request is larger than this endpoint takes.") from None


def _utf8_declared(parameters: str) -> None:
    """Refuse (415) a body declared in another charset than UTF-8: read as UTF-8 anyway, a UTF-16 or Latin-1 query
    whose bytes happened to decode would run as another query than the one sent (the protocol reads UTF-8 only)."""
    for parameter in parameters.split(";"):
        name, _, value = parameter.partition("=")
        charset = value.strip().strip('"').lower()
        if name.strip().lower() == "charset" and charset not in ("utf-8", "utf8"):
            raise ProblemError(415, f"The body is declared as {charset}: send the query in UTF-8 (charset=utf-8).")


def _utf8(data: bytes, what: str) -> str:
    """``data`` read as UTF-8, or refused (400): a query, or a form or URL or one of its fields, decoded with
    replacement (as Starlette and ``parse_qsl`` decode) would make the store run another query than the one sent, with
    U+FFFD in place of each byte that could not be read."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProblemError(
            400, f"The {what} is not UTF-8: its byte {error.start + 1} is 0x{data[error.start]:02x}. Send UTF-8."
        ) from None


def _utf8_fields(raw: bytes, what: str) -> dict[str, list[str]]:
    """The fields of a form or URL query string, by name, each value read as UTF-8 from the bytes its percent-escapes
    give: parsed as latin-1, which maps every byte to one character and back."""
    _utf8(raw, what)
    fields: dict[str, list[str]] = {}
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="latin-1"):
        fields.setdefault(name.encode("latin-1").decode("utf-8", "replace"), []).append(
            _utf8(value.encode("latin-1"), f"{name} field")
        )
    return fields


def _without_query(request: Request, services: Services) -> Response:
    offered = [formats.HTML, *formats.GRAPHS.values()]
    chosen = choose(request.headers.get("accept"), offered)
    if chosen is None:
        raise ProblemError(406, "Ask for text/html (the query form) or an RDF type (the service description).")
    if chosen == formats.HTML:
        base, prefixes = services.settings.base_uri, services.prefixes
        examples = [
            {"name": q.name, "summary": q.summary, "query": q.standalone(base, prefixes)} for q in all_queries()
        ]
        return render(
            request,
            "sparql.html",
            {"title": "Query the map with SPARQL", "examples": examples, "examples_json": json_script(examples)},
        )
    base = services.settings.base_uri  # never the request's Host header, which anyone can set
    body = service_description(base, base + "/sparql", formats.RDF_FORMATS[chosen])
    return Response(body, media_type=chosen, headers={"Vary": "Accept"})
