"""People's requests about their own details on the map: kept private in the staging store for the moderators, who
list and answer them (a correction or a redaction is made through the usual routes)."""

from __future__ import annotations

from typing import Any

from api.dependencies import AppServices
from api.errors import ProblemError
from api.services.page_queries import person_name
from graph.contributions.personal_requests import (
    RequestKind,
    RequestStatus,
    answer_update,
    new_request_id,
    request_transaction,
    requests_query,
    status_query,
)
from graph.rdf.identity import KEY_PATTERN, UriClass


async def name_of(services: AppServices, key: str) -> str | None:
    """The person's name on the public map; None if there is no such person."""
    person = services.identity.thing(UriClass.PERSON, key) if KEY_PATTERN.match(key) else None
    rows = person and await services.public.solutions(person_name(person))
    return rows[0]["name"].value if rows else None


async def keep_request(services: AppServices, key: str, kind: RequestKind, details: str, contact: str) -> str:
    """Keep a request about the person ``key`` for the moderators; its id."""
    request_id = new_request_id()
    person = services.identity.thing(UriClass.PERSON, key)
    transaction = request_transaction(services.identity, request_id, person, kind, details, contact)
    await services.staging.update(transaction.as_update())
    return request_id


async def listed(services: AppServices, status: RequestStatus) -> list[dict[str, Any]]:
    rows = await services.staging.solutions(requests_query(services.identity, status))
    return [
        {
            "id": row["request"].value.rsplit("/", 1)[-1],
            "person": row["person"].value,
            "kind": row["kind"].value,
            "details": row["details"].value,
            "contact": row["contact"].value,
            "created": row["created"].value,
            "answer": row["answer"].value if "answer" in row else None,
        }
        for row in rows
    ]


async def answer(services: AppServices, request_id: str, moderator: str, text: str) -> None:
    """Record the moderator's answer to a pending request (404 if there is none such, 409 if it is answered)."""
    if not KEY_PATTERN.match(request_id):
        raise ProblemError(404, "There is no such request.")
    found = await services.staging.solutions(status_query(services.identity, request_id))
    if not found:
        raise ProblemError(404, "There is no such request.")
    if found[0]["status"].value.rsplit("/", 1)[-1] != RequestStatus.PENDING:
        raise ProblemError(409, "This request is already answered.")
    await services.staging.update(answer_update(services.identity, request_id, moderator, text))
