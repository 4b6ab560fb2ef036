"""A named person asks for their details to be corrected or removed (UK GDPR); moderators see and answer the
requests. The request, with the person's e-mail address, stays in the staging store: it is never published."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api import access
from api.dependencies import AppServices, Services
from api.errors import JSON_PROBLEMS, NotFoundError, ProblemError
from api.paths import PersonKeyPath
from api.renderers.pages import render
from api.responses import (
    FORM,
    HTML,
    JSON,
    MODERATORS,
    NOT_FOUND,
    PAGE,
    STORE,
    WRITES,
    answers,
    documented,
    fields,
    problem,
)
from api.services.page_queries import person_name
from api.services.submitting import EMAIL
from graph.contributions.personal_requests import (
    MAX_DETAILS,
    RequestKind,
    RequestStatus,
    answer_update,
    new_request_id,
    request_transaction,
    requests_query,
    status_query,
)
from graph.rdf.identity import KEY_PATTERN, UriClass

router = APIRouter(tags=["Contributions"])
FORM_MAX_BYTES = 64 * 1024


async def _name(services: AppServices, key: str) -> str | None:
    """The person's name on the public map; None if there is no such person."""
    person = services.identity.thing(UriClass.PERSON, key) if KEY_PATTERN.match(key) else None
    rows = person and await services.public.solutions(person_name(person))
    return rows[0]["name"].value if rows else None


def _form(
    request: Request, key: str, name: str, values: dict[str, str], errors: list[str], status: int = 200
) -> Response:
    context = {"title": f"Your details: {name}", "key": key, "name": name, "values": values, "errors": errors}
    return render(request, "person_request.html", context, status=status)


@router.get(
    "/records/person/{key}/request",
    summary="A form for a named person to ask for their details to be corrected or removed",
    response_class=Response,
    responses=documented(PAGE, NOT_FOUND, STORE),
)
async def request_form(key: PersonKeyPath, request: Request, services: Services) -> Response:
    name = await _name(services, key)
    if name is None:
        raise NotFoundError(f"{services.settings.base_uri}/id/person/{key}")
    return _form(request, key, name, {"kind": RequestKind.CORRECT}, [])


@router.post(
    "/records/person/{key}/request",
    summary="Send a request about a person's own details (kept private, for the moderators)",
    status_code=201,
    openapi_extra=fields(
        FORM,
        {"kind": "correct", "details": "My job title is now Chief Data Officer.", "contact": "name@example.org"},
        optional=("details",),
    ),
    response_class=Response,
    responses=documented(
        {
            201: answers("Sent: a page that says what happens next", HTML),
            422: answers("The form again, saying what to fix", HTML),
        },
        WRITES,
        NOT_FOUND,
        STORE,
    ),
)
async def send_request(key: PersonKeyPath, request: Request, services: Services) -> Response:
    name = await _name(services, key)
    if name is None:
        raise NotFoundError(f"{services.settings.base_uri}/id/person/{key}")
    await access.counted(request, services, None)
    raw = (await access.limited_body(request, FORM_MAX_BYTES)).decode("utf-8", "replace")
    values = {k: v.strip() for k, v in parse_qsl(raw, keep_blank_values=True)}
    errors = []
    if values.get("kind") not in RequestKind.__members__.values():
        errors.append("Choose whether your details should be corrected or removed.")
    if values.get("kind") == RequestKind.CORRECT and not values.get("details"):
        errors.append("Say what is wrong and what it should say.")
    if len(values.get("details", "")) > MAX_DETAILS:
        errors.append(f"Keep what you write under {MAX_DETAILS} characters.")
    if not EMAIL.match(values.get("contact", "")):
        errors.append("Give an e-mail address, so that an editor can check it is you and tell you what was done.")
    if errors:
        return _form(request, key, name, values, errors, status=422)
    request_id = new_request_id()
    person = services.identity.thing(UriClass.PERSON, key)
    transaction = request_transaction(
        services.identity, request_id, person, RequestKind(values["kind"]), values.get("details", ""), values["contact"]
    )
    await services.staging.update(transaction.as_update())
    context = {"title": "Thank you", "name": name, "contact": values["contact"], "request_id": request_id}
    return render(request, "person_request_sent.html", context, status=201)


def _listed(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["request"].value.rsplit("/", 1)[-1],
        "person": row["person"].value,
        "kind": row["kind"].value,
        "details": row["details"].value,
        "contact": row["contact"].value,
        "created": row["created"].value,
        "answer": row["answer"].value if "answer" in row else None,
    }


@router.get(
    "/requests",
    summary="People's requests about their own details, by status (moderators)",
    responses=documented(MODERATORS, STORE),
    dependencies=[JSON_PROBLEMS],
)
async def listing(request: Request, services: Services, status: RequestStatus = RequestStatus.PENDING) -> Response:
    await access.moderator(request, services)
    rows = await services.staging.solutions(requests_query(services.identity, status))
    return JSONResponse({"status": status, "requests": [_listed(row) for row in rows]})


@router.post(
    "/requests/{request_id}/answer",
    summary="Record the answer to a person's request, after correcting or redacting them, or not (moderators)",
    openapi_extra=fields(JSON, {"answer": "Removed from the map and its history, as asked."}),
    responses=documented(
        MODERATORS,
        WRITES,
        {
            400: problem('No answer given: send {"answer": "..."}'),
            404: problem("There is no such request"),
            409: problem("The request is already answered"),
        },
        STORE,
    ),
    dependencies=[JSON_PROBLEMS],
)
async def answer(request_id: str, request: Request, services: Services) -> Response:
    moderator = await access.moderating(request, services)
    asked = await access.decision(request)
    text = asked.get("answer") if isinstance(asked, dict) else None
    if not isinstance(text, str) or not text.strip():
        raise ProblemError(400, 'Say what was done and why: {"answer": "..."}.')
    if not KEY_PATTERN.match(request_id):
        raise ProblemError(404, "There is no such request.")
    found = await services.staging.solutions(status_query(services.identity, request_id))
    if not found:
        raise ProblemError(404, "There is no such request.")
    if found[0]["status"].value.rsplit("/", 1)[-1] != RequestStatus.PENDING:
        raise ProblemError(409, "This request is already answered.")
    await services.staging.update(answer_update(services.identity, request_id, moderator, text.strip()[:2000]))
    return JSONResponse({"id": request_id, "status": RequestStatus.ANSWERED, "answer": text.strip()[:2000]})
