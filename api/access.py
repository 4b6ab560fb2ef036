"""Who may do what: bearer tokens to accounts and roles, and the JSON errors that refuse a request."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from api.dependencies import AppServices
from api.upstream import UpstreamError
from graph.accounts import Role, accounts_query, authenticate


def error(status: int, message: str, headers: dict[str, str] | None = None, **extra: Any) -> JSONResponse:
    """The one shape of every contribution error: ``{"error": message, …}``."""
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def unavailable(problem: UpstreamError) -> JSONResponse:
    return error(problem.status, problem.message, {"Retry-After": "5"})


class RefusedError(Exception):
    """Raised deep in a handler to answer at once with ``response`` (401, 403, 404, 409, 413)."""

    def __init__(self, response: JSONResponse) -> None:
        self.response = response


async def account(request: Request, services: AppServices) -> tuple[str, Role] | None:
    """The account behind the request's bearer token; ``None`` without one; refused if the token is wrong."""
    header = request.headers.get("authorization", "")
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise RefusedError(
            error(401, "Send the token as: Authorization: Bearer <token>", {"WWW-Authenticate": "Bearer"})
        )
    rows = await services.staging.solutions(accounts_query(services.identity))
    found = authenticate(rows, token.strip())
    if found is None:
        raise RefusedError(error(401, "This token is not valid, or was revoked.", {"WWW-Authenticate": "Bearer"}))
    return found


async def moderator(request: Request, services: AppServices) -> str:
    """The moderator's account IRI, or refused: 401 without a valid token, 403 for a submitter's."""
    found = await account(request, services)
    if found is None:
        raise RefusedError(error(401, "Moderators only: send a moderator's token.", {"WWW-Authenticate": "Bearer"}))
    if found[1] is not Role.MODERATOR:
        raise RefusedError(error(403, "This account may submit, not moderate."))
    return found[0]
