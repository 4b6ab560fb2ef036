"""Moderators withdraw a record, or merge it into another; its URI then answers 410 Gone or redirects."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from api import access
from api.dependencies import AppServices, Services
from api.errors import JSON_PROBLEMS, ProblemError
from api.paths import ClassPath, KeyPath, PersonKeyPath
from api.responses import JSON, MODERATORS, STORE, WRITES, documented, fields, problem
from api.services.ending import checked_record_class, end_record, redact_person
from graph.contributions.withdrawal import Ending

router = APIRouter(tags=["Contributions"], dependencies=[JSON_PROBLEMS])


async def _end(request: Request, services: AppServices, uri_class: str, key: str, ending: Ending) -> Response:
    moderator = await access.moderating(request, services)
    cls = checked_record_class(uri_class, key)
    asked = await access.decision(request)
    if not isinstance(asked, dict):
        raise ProblemError(400, 'Send JSON such as {"reason": "…"}.')
    reason, into = asked.get("reason"), asked.get("into")
    reason = reason.strip() if isinstance(reason, str) else ""
    if not reason:
        raise ProblemError(400, "Say why, in a reason that the record's page will show.")
    ended = await end_record(services, moderator, cls, key, ending, reason, into if isinstance(into, str) else "")
    return JSONResponse(ended)


ENDING = documented(
    MODERATORS,
    WRITES,
    {
        400: problem("No reason given, or no published record of the same class to merge into"),
        404: problem("There is no such published record"),
    },
    STORE,
)


@router.post(
    "/records/{uri_class}/{key}/withdraw",
    summary="Withdraw a published record, with a reason (moderators)",
    openapi_extra=fields(JSON, {"reason": "The organisation closed in 2024."}),
    responses=ENDING,
)
async def withdraw(uri_class: ClassPath, key: KeyPath, request: Request, services: Services) -> Response:
    return await _end(request, services, uri_class, key, Ending.WITHDRAWN)


@router.post(
    "/records/{uri_class}/{key}/merge",
    summary="Merge a published record into another (moderators)",
    openapi_extra=fields(JSON, {"reason": "The same organisation, recorded twice.", "into": "id/organisation/odi"}),
    responses=ENDING,
)
async def merge(uri_class: ClassPath, key: KeyPath, request: Request, services: Services) -> Response:
    return await _end(request, services, uri_class, key, Ending.MERGED)


@router.post(
    "/records/person/{key}/redact",
    summary="Remove a person from the map and from its history, at their request (moderators, UK GDPR)",
    responses=documented(
        MODERATORS, WRITES, {404: problem("There is no such person on the map or in its history")}, STORE
    ),
)
async def redact(key: PersonKeyPath, request: Request, services: Services) -> Response:
    moderator = await access.moderating(request, services)
    return JSONResponse(await redact_person(services, moderator, key))
