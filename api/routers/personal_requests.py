"""A named person asks for their details to be corrected or removed (UK GDPR); moderators see and answer the
requests. The request, with the person's e-mail address, stays in the staging store: it is never published."""

from __future__ import annotations

from urllib.parse import parse_qsl

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api import access
from api.dependencies import Services
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
from api.services import own_details
from api.services.submitting import EMAIL
from graph.contributions.personal_requests import (
    MAX_DETAILS,
    RequestKind,
    RequestStatus,
)

router = APIRouter(tags=["Contributions"])
FORM_MAX_BYTES = 64 * 1024


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
    name = await own_details.name_of(services, key)
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
    name = await own_details.name_of(services, key)
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
    request_id = await own_details.keep_request(
        services, key, RequestKind(values["kind"]), values.get("details", ""), values["contact"]
    )
    context = {"title": "Thank you", "name": name, "contact": values["contact"], "request_id": request_id}
    return render(request, "person_request_sent.html", context, status=201)


@router.get(
    "/requests",
    summary="People's requests about their own details, by status (moderators)",
    responses=documented(MODERATORS, STORE),
    dependencies=[JSON_PROBLEMS],
)
async def requests_by_status(
    request: Request, services: Services, status: RequestStatus = RequestStatus.PENDING
) -> Response:
    await access.moderator(request, services)
    return JSONResponse({"status": status, "requests": await own_details.listed(services, status)})


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
    await own_details.answer(services, request_id, moderator, text.strip()[:2000])
    return JSONResponse({"id": request_id, "status": RequestStatus.ANSWERED, "answer": text.strip()[:2000]})
