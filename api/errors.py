"""One way to refuse a request: raise a :class:`ProblemError` anywhere under a route (a dependency, a service, the store
client), and the app's handlers (:func:`install`) answer it in the form the client asked for.

Three forms, chosen by ``Accept``: plain text (the default of the pages, documents and the SPARQL endpoint), JSON
problem details (RFC 9457, the default of the contribution routes, which declare it with :data:`JSON_PROBLEMS`), and
an HTML page for a browser. The JSON keeps ``error`` beside ``detail``: the contribution API has always said what
was wrong there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from api.conneg import choose
from api.renderers.pages import render
from graph.store.interface import StoreError

TEXT = "text/plain"
HTML = "text/html"
PROBLEM_JSON = "application/problem+json"
JSON = "application/json"
# What a client may be answered with, in the order a route prefers them when ``Accept`` leaves the choice open.
AS_TEXT = [TEXT, PROBLEM_JSON, JSON, HTML]
AS_JSON = [PROBLEM_JSON, JSON, TEXT, HTML]


class ProblemError(Exception):
    """Why a request cannot be answered as asked: an HTTP status, a sentence that says what to do, headers (such as
    ``Retry-After``) and any more fields that locate the problem (``line``, ``column``, ``problems``)."""

    def __init__(self, status: int, detail: str, headers: Mapping[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = extra


class NotFoundError(ProblemError):
    """Nothing is known at ``iri``. Answered as a page that says where to look, or as text; ``media_type`` is the
    form a suffix already chose (``.ttl`` gets text, ``.html`` the page)."""

    def __init__(self, iri: str, media_type: str | None = None) -> None:
        super().__init__(404, f"ecomap knows nothing called {iri}. Search the map at /sparql, or check the address.")
        self.iri = iri
        self.media_type = media_type


async def _json_problems(request: Request) -> None:
    """Asynchronous, as it never waits (no thread hop: see ``api.dependencies._services``)."""
    request.state.problems_in_json = True


# A route (or a router) that answers in JSON declares that its problems are JSON too unless asked otherwise.
JSON_PROBLEMS = Depends(_json_problems)


def from_store(error: StoreError) -> ProblemError:
    """The store refused or failed: the client may try again shortly when the store is the one at fault."""
    return ProblemError(error.status, error.message, {"Retry-After": "5"} if error.status >= 500 else None)


def answer(request: Request, problem: ProblemError) -> Response:
    """``problem`` as the client asked for it (``Accept``), or in the route's own form when it did not say."""
    offered = AS_JSON if getattr(request.state, "problems_in_json", False) else AS_TEXT
    if isinstance(problem, NotFoundError) and problem.media_type is not None:
        chosen = HTML if problem.media_type == HTML else TEXT
    else:
        chosen = choose(request.headers.get("accept"), offered) or offered[0]
    headers = {**problem.headers, "Vary": "Accept"}
    if chosen == HTML:
        if isinstance(problem, NotFoundError):
            page = render(request, "not_found.html", {"title": "Not found", "iri": problem.iri}, problem.status)
        else:
            context = {"title": HTTPStatus(problem.status).phrase, "detail": problem.detail, "extra": problem.extra}
            page = render(request, "problem.html", context, problem.status)
        page.headers.update(headers)
        return page
    if chosen in (PROBLEM_JSON, JSON):
        body = {
            "type": "about:blank",
            "title": HTTPStatus(problem.status).phrase,
            "status": problem.status,
            "detail": problem.detail,
            "error": problem.detail,
            **problem.extra,
        }
        return JSONResponse(body, problem.status, headers, media_type=chosen)
    lines = [problem.detail, *(f"{name}: {json.dumps(value)}" for name, value in problem.extra.items())]
    return Response("\n".join(lines) + "\n", problem.status, headers, media_type="text/plain; charset=utf-8")


def install(app: FastAPI) -> None:
    """Answer every problem, the store's failures and the framework's own refusals (an unknown address, a method
    not allowed) in one place."""

    async def on_problem(request: Request, problem: Exception) -> Response:
        assert isinstance(problem, ProblemError)
        return answer(request, problem)

    async def on_store(request: Request, error: Exception) -> Response:
        assert isinstance(error, StoreError)
        return answer(request, from_store(error))

    async def on_http(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if error.status_code == 404:
            return answer(request, NotFoundError(str(request.url.path)))
        return answer(request, ProblemError(error.status_code, str(error.detail), error.headers))

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(StoreError, on_store)
    app.add_exception_handler(HTTPException, on_http)
