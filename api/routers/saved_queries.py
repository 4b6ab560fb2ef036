"""Saved queries as an API: each file in ``queries/`` becomes ``GET /queries/{name}``, its parameters typed,
checked and bound as RDF terms (``graph.queries``), answering in the SPARQL result formats (JSON, XML, CSV,
TSV) exactly as ``/sparql`` does, with the same fair use, time limit and result cap. ``/queries`` lists them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api import formats
from api.dependencies import Services
from api.errors import ProblemError
from api.inspection import Form
from api.negotiation import negotiated
from api.renderers.pages import render
from api.responses import QUERY, answers, documented, problem
from api.services.querying import Asker, run_query
from graph.queries import NamedQuery, Parameter, ParameterError, all_queries
from graph.store.protocol import answers_with_triples

SCHEMA_TYPES = {"integer": {"type": "integer"}, "date": {"type": "string", "format": "date"}}


def _schema(parameter: Parameter) -> dict[str, Any]:
    schema: dict[str, Any] = dict(SCHEMA_TYPES.get(parameter.type, {"type": "string"}))
    if parameter.type == "iri":
        schema["format"] = "iri-reference"
    if parameter.default is not None:
        schema["default"] = int(parameter.default) if parameter.type == "integer" else parameter.default
    if parameter.minimum is not None:
        schema["minimum"], schema["maximum"] = parameter.minimum, parameter.maximum
    return schema


def _openapi_parameters(query: NamedQuery) -> list[dict[str, Any]]:
    declared = [
        {
            "name": p.name,
            "in": "query",
            "required": p.required,
            "description": p.description,
            "schema": _schema(p),
        }
        for p in query.parameters
    ]
    answer_format = {
        "name": "format",
        "in": "query",
        "required": False,
        "description": "json, xml, csv or tsv (the SPARQL result formats); or choose by Accept",
        "schema": {"type": "string", "enum": list(formats.RESULTS)},
    }
    return [*declared, answer_format]


def described(query: NamedQuery) -> dict[str, Any]:
    """A saved query as the listing and the query editor show it."""
    return {
        "name": query.name,
        "summary": query.summary,
        "description": query.description,
        "tags": list(query.tags),
        "url": f"/queries/{query.name}",
        "query_url": f"/queries/{query.name}.rq",
        "parameters": [
            {
                "name": p.name,
                "type": p.type,
                "required": p.required,
                "default": p.default,
                "minimum": p.minimum,
                "maximum": p.maximum,
                "description": p.description,
            }
            for p in query.parameters
        ],
        "sparql": query.text,
    }


def _endpoint(query: NamedQuery) -> Callable[[Request, Services], Awaitable[Response]]:
    # The text is ecomap's own and its parameters are typed RDF terms: nothing for the public checks to find.
    form = Form.GRAPH if answers_with_triples(query.text) else Form.SOLUTIONS

    async def run(request: Request, services: Services) -> Response:
        given = {k: v for k, v in request.query_params.items() if k != "format"}
        try:
            terms = query.terms(given, services.settings.base_uri)
        except ParameterError as error:
            raise ProblemError(400, str(error)) from None
        format_name = request.query_params.get("format")
        return await run_query(Asker.of(request), services, query.bound(terms), [], [], format_name, own_form=form)

    return run


SPARQL_QUERY = "application/sparql-query"


def _text(query: NamedQuery) -> Callable[[Services], Awaitable[Response]]:
    """The query as published: whole, with the BASE and PREFIX declarations the store would otherwise add, and its
    parameters bound to their defaults, so that Jena, Comunica or any other client runs it as it is."""

    async def text(services: Services) -> Response:
        standalone = query.standalone(services.settings.base_uri, services.prefixes)
        return Response(standalone, media_type=f"{SPARQL_QUERY}; charset=utf-8")

    return text


def saved_queries_router() -> APIRouter:
    """One route per file in ``queries/``, read when the app starts, each documented with its parameters."""
    router = APIRouter(tags=["Saved queries"])
    queries = all_queries()

    @router.get(
        "/queries",
        summary="The saved queries, with their parameters (JSON, or a page)",
        responses=documented(
            {
                200: answers("The saved queries", "application/json", formats.HTML),
                406: problem("format= names neither json nor html"),
            }
        ),
    )
    async def saved_queries(
        request: Request,
        services: Services,
        media_type: Annotated[str, negotiated("application/json", formats.HTML, fallback="application/json")],
    ) -> Response:
        items = [described(q) for q in queries]
        if media_type == formats.HTML:
            context = {"title": "Saved queries", "queries": items, "choices": await services.query_choices.get()}
            return render(request, "queries.html", context)
        return JSONResponse({"queries": items})

    for query in queries:
        router.add_api_route(
            f"/queries/{query.name}.rq",
            _text(query),
            methods=["GET"],
            name="query_" + query.name.replace("-", "_") + "_text",
            summary=f"{query.summary}: the query itself, with its BASE and PREFIX lines, for any SPARQL client",
            response_class=Response,
            responses=documented({200: answers("The query", SPARQL_QUERY)}),
        )
        router.add_api_route(
            f"/queries/{query.name}",
            _endpoint(query),
            methods=["GET"],
            name="query_" + query.name.replace("-", "_"),
            summary=query.summary,
            description=query.description,
            response_class=Response,
            openapi_extra={"parameters": _openapi_parameters(query)},
            responses=documented(
                {
                    200: answers(
                        "The answer",
                        *(formats.GRAPHS if answers_with_triples(query.text) else formats.RESULTS).values(),
                    ),
                    400: problem("A parameter does not fit its type"),
                },
                QUERY,
            ),
        )
    return router
