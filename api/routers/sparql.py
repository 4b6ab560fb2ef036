"""``/sparql``: the SPARQL 1.1 Protocol for queries, read-only, with a timeout and no SERVICE calls."""

from __future__ import annotations

import re
import time
from collections.abc import AsyncIterator, Callable
from functools import partial
from typing import Annotated
from urllib.parse import parse_qsl

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

from api import formats
from api.answers import not_modified
from api.bodies import BodyTooLargeError, read_body
from api.conneg import choose
from api.dependencies import AppServices, Services
from api.inspection import Form, Inspection, QueryRejectedError, inspect
from api.limits import Cap, ResultCapError
from api.pages import json_script, render
from api.responses import FORM, QUERY, answers, documented, text
from api.service_description import service_description
from api.upstream import Answer, QueryStoppedError, StoreLostError, UpstreamError
from graph.queries import all_queries

router = APIRouter(tags=["SPARQL"])

EXAMPLE = "SELECT ?thing ?name WHERE { ?thing foaf:name ?name } LIMIT 10"  # for the OpenAPI, and the fuzzer
# Functions whose value is not fixed by the data: a query using them is answered afresh every time.
INLINE_CHECK = 1000  # characters
NONDETERMINISTIC = re.compile(r"\b(NOW|RAND|UUID|STRUUID|BNODE)\s*\(", re.IGNORECASE)


def _error(status: int, message: str) -> Response:
    return Response(message + "\n", status_code=status, media_type="text/plain; charset=utf-8")


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
            400: text("Syntax error, an update, or a forbidden SERVICE call"),
        },
        QUERY,
    ),
)
async def sparql_get(
    request: Request,
    services: Services,
    query: Annotated[str | None, Query(description="The SPARQL query", examples=[EXAMPLE])] = None,
    default_graph_uri: Annotated[list[str] | None, Query(alias="default-graph-uri")] = None,
    named_graph_uri: Annotated[list[str] | None, Query(alias="named-graph-uri")] = None,
    format: Annotated[str | None, Query(description="json, xml, csv, tsv, ttl, jsonld, nt or rdf")] = None,
) -> Response:
    """Run a query given as ``?query=``; without one, describe the service (RDF) or show the query form (HTML)."""
    if query is None:
        return _without_query(request, services)
    try:
        _utf8_fields(request.scope["query_string"], "URL")  # FastAPI read the parameters with replacement
    except NotUtf8Error as unread:
        return _error(400, str(unread))
    return await run_query(request, services, query, default_graph_uri or [], named_graph_uri or [], format)


@router.post(
    "/sparql",
    summary="SPARQL query (POST)",
    response_class=Response,
    responses=documented(
        {
            200: answers(
                "Query results, chosen by Accept or format", *formats.RESULTS.values(), *formats.GRAPHS.values()
            ),
            400: text("No Content-Type, no single query, an update, a syntax error, or a forbidden SERVICE call"),
            413: text("The request is larger than the endpoint takes"),
            415: text("Neither application/sparql-query nor a form (application/sparql-update is refused)"),
        },
        QUERY,
    ),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/sparql-query": {"schema": {"type": "string"}, "example": EXAMPLE},
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
                    "example": {"query": EXAMPLE},
                },
            },
        }
    },
)
async def sparql_post(request: Request, services: Services) -> Response:
    """Run a query sent as ``application/sparql-query`` or as a form with ``query=``."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type == "application/sparql-update":
        return _error(415, "This SPARQL endpoint is read-only: it does not accept application/sparql-update.")
    if media_type == "application/sparql-query":
        body = await _limited_body(request, services)
        if body is None:
            return _error(413, "The request is larger than this endpoint takes.")
        try:
            text = _utf8(body, "query")
        except NotUtf8Error as unread:
            return _error(400, str(unread))
        params = request.query_params
        return await run_query(
            request,
            services,
            text,
            params.getlist("default-graph-uri"),
            params.getlist("named-graph-uri"),
            params.get("format"),
        )
    if media_type == FORM:
        raw = await _limited_body(request, services)
        if raw is None:
            return _error(413, "The request is larger than this endpoint takes.")
        try:
            fields = _utf8_fields(raw, "form")
        except NotUtf8Error as unread:
            return _error(400, str(unread))
        form: dict[str, list[str]] = {}
        for name, value in fields:
            form.setdefault(name, []).append(value)
        if "update" in form:
            return _error(400, "This SPARQL endpoint is read-only: it answers queries, not updates.")
        if len(form.get("query", [])) != 1:
            return _error(400, "Send exactly one query, as the form field 'query'.")
        return await run_query(
            request,
            services,
            form["query"][0],
            form.get("default-graph-uri", []),
            form.get("named-graph-uri", []),
            (form.get("format") or [None])[0],
        )
    if not media_type:
        return _error(400, "Say what the body is: Content-Type application/sparql-query, or a form with query=.")
    return _error(415, f"Unsupported media type {media_type}: send application/sparql-query or a form with query=.")


async def _limited_body(request: Request, services: Services) -> bytes | None:
    """The body, or ``None`` past the size a query of the longest allowed length can take."""
    limit = services.settings.query_max_length * 4 + 16_384  # percent-encoding, and the other form fields
    try:
        return await read_body(request, limit)
    except BodyTooLargeError:
        return None


class NotUtf8Error(ValueError):
    """A query, or a form or URL or one of its fields, that is not UTF-8. Decoded with replacement (as Starlette and
    ``parse_qsl`` decode), the store would run another query than the one sent, with U+FFFD in place of each byte
    that could not be read."""


def _utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise NotUtf8Error(
            f"The {what} is not UTF-8: its byte {error.start + 1} is 0x{data[error.start]:02x}. Send UTF-8."
        ) from None


def _utf8_fields(raw: bytes, what: str) -> list[tuple[str, str]]:
    """The fields of a form or URL query string, each value read as UTF-8 from the bytes its percent-escapes give:
    parsed as latin-1, which maps every byte to one character and back."""
    _utf8(raw, what)
    return [
        (name.encode("latin-1").decode("utf-8", "replace"), _utf8(value.encode("latin-1"), f"{name} field"))
        for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="latin-1")
    ]


def _without_query(request: Request, services: Services) -> Response:
    offered = [formats.HTML, *formats.GRAPHS.values()]
    chosen = choose(request.headers.get("accept"), offered)
    if chosen is None:
        return _error(406, "Ask for text/html (the query form) or an RDF type (the service description).")
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


async def run_query(
    request: Request,
    services: Services,
    query: str,
    default: list[str],
    named: list[str],
    format_name: str | None,
    *,
    own_form: Form | None = None,
) -> Response:
    """Run a read-only query for a client, as /sparql does: fair use, inspection, a format chosen by ``format=``
    or Accept, the time limit and the result cap; the answer streams. ``own_form`` is the form of a query ecomap
    wrote itself (a saved query with typed parameters), which needs no inspection."""
    settings = services.settings
    client = request.client.host if request.client else "unknown"
    if held := services.quarantine.client_held(client):
        return _too_many(
            f"A query from {client} took the store down (it crashed, or had to be restarted to stop a query past the "
            f"time limit): this endpoint answers its queries again in {held} s.",
            held,
        )
    if wait := services.fair_use.wait_seconds(client):
        return _too_many(
            f"Too many queries from {client}: this endpoint answers {settings.queries_per_minute} a minute "
            f"from each client. Try again in {wait} s.",
            wait,
        )
    # The answer depends only on the public data: one per data version (api/answers.py). A kept answer is found
    # by the request as sent, before the query is checked again: a query is kept only once it has passed.
    versions = services.versions
    try:
        version = await versions.current()
    except UpstreamError as error:
        return _upstream_error(error)
    key = versions.key(
        version, format_name or "", request.headers.get("accept") or "", query, *default, "named", *named
    )
    tag = versions.tag(key)
    if (cached := versions.cache.get(key)) is not None:
        if not_modified(request.headers.get("if-none-match"), key):
            return Response(status_code=304, headers={**cached.headers, "ETag": tag})
        return Response(cached.body, headers={**cached.headers, "ETag": tag, "Ecomap-Cache": "hit"})
    if own_form is not None:
        inspection = Inspection(own_form, query)
    else:
        try:
            inspection = await _inspected(query, services)
        except QueryRejectedError as rejected:
            return _error(rejected.status, rejected.message)
        if services.quarantine.text_held(inspection.text):
            return _error(
                400,
                "This query was in flight when the store crashed, or ran so far past the time limit that the store "
                "had to be restarted to stop it: it is refused for a day. Change it, or write to the operator if it "
                "is harmless.",
            )
    offered = list(formats.RESULTS.values() if inspection.form is Form.SOLUTIONS else formats.GRAPHS.values())
    if format_name:
        # A name or media type, or (as SPARQLWrapper sends) several media types separated by commas.
        asked = [formats.resolve(part.split(";")[0]) for part in format_name.split(",")]
        chosen = next((media_type for media_type in asked if media_type in offered), None)
        if chosen is None:
            return _error(
                400, f"format={format_name} does not suit this query: use one of {', '.join(_names(offered))}."
            )
    else:
        accept = request.headers.get("accept")
        for alias, canonical in formats.ALIASES.items():
            accept = accept.replace(alias, canonical) if accept else accept
        chosen = choose(accept, offered)
        if chosen is None:
            return _error(
                406, f"None of the formats this query can give matches your Accept header: {', '.join(offered)}."
            )
    cap = Cap(chosen, settings.result_cap_rows, settings.result_cap_bytes)
    headers = {"Vary": "Accept", "Ecomap-Result-Cap": f"{cap.rows} rows or {cap.size} bytes"}
    kept = not NONDETERMINISTIC.search(inspection.text)  # NOW(), RAND() and the like are answered afresh
    if kept:
        headers["ETag"] = tag
        if not_modified(request.headers.get("if-none-match"), key):
            return Response(status_code=304, headers=headers)
    if not default and not named:  # the protocol's dataset wins over the query's own, as the protocol says
        default, named = list(inspection.default_graphs), list(inspection.named_graphs)
    started = time.monotonic()
    convict = None if own_form else partial(services.quarantine.convict, inspection.text, client)
    try:
        answer = await services.upstream.answer(
            services.prologue + inspection.text, chosen, default, named, trusted=own_form is not None
        )
    except UpstreamError as error:
        if convict is not None and _took_the_store_down(error):
            convict()
        return _upstream_error(error)
    try:
        cap.check(answer.head)
    except ResultCapError as error:
        await answer.close()
        return _error(413, error.message)
    if answer.rest is None:  # the whole answer has arrived: keep it for this version, if it was worth computing once
        if kept and (time.monotonic() - started) * 1000 >= settings.keep_after_ms:
            stored = {
                "Content-Type": chosen,
                "Vary": headers["Vary"],
                "Ecomap-Result-Cap": headers["Ecomap-Result-Cap"],
            }
            await versions.remember(version, key, answer.head, stored)
            headers["Ecomap-Cache"] = "miss"
        return Response(answer.head, media_type=chosen, headers=headers)
    return StreamingResponse(_streamed(answer, cap, convict), media_type=chosen, headers=headers)


async def _inspected(query: str, services: AppServices) -> Inspection:
    settings = services.settings
    arguments = (query, services.prologue, settings.service_allow_list, settings.query_max_length)
    # A short query is parsed in about a millisecond, less than handing it to a thread costs (profiled); a long
    # one, or one that would wait for the parser, goes to a thread so as not to hold the event loop.
    inspection = inspect(*arguments, wait=False) if len(query) <= INLINE_CHECK else None
    return inspection or await anyio.to_thread.run_sync(inspect, *arguments)


def _too_many(message: str, seconds: int) -> Response:
    return Response(
        message + "\n", status_code=429, media_type="text/plain; charset=utf-8", headers={"Retry-After": str(seconds)}
    )


def _took_the_store_down(error: UpstreamError) -> bool:
    """Whether the store crashed while it worked on the query, or it ran so long that the server was restarted."""
    return (isinstance(error, StoreLostError) and error.crashed) or (
        isinstance(error, QueryStoppedError) and error.overran
    )


def _upstream_error(error: UpstreamError) -> Response:
    retry = {"Retry-After": "5"} if error.status == 503 else {}
    return Response(
        error.message + "\n", status_code=error.status, media_type="text/plain; charset=utf-8", headers=retry
    )


async def _streamed(answer: Answer, cap: Cap, convict: Callable[[], None] | None) -> AsyncIterator[bytes]:
    """The answer, its first bytes already checked; past the cap the stream stops before its final chunk. A client's
    query is convicted if the store crashes while it streams."""
    try:
        yield answer.head
        if answer.rest is not None:
            async for chunk in cap.through(answer.rest):
                yield chunk
    except StoreLostError as lost:
        if convict is not None and lost.crashed:
            convict()
        raise
    finally:
        await answer.close()


def _names(media_types: list[str]) -> list[str]:
    everything = {**formats.RESULTS, **formats.GRAPHS}
    return [name for name, media_type in everything.items() if media_type in media_types]
