"""GET /changes: approved changes, newest first, as Activity Streams 2.0 (JSON) or Atom, by Accept."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from api.dependencies import Services
from api.negotiation import negotiated
from api.responses import STORE, answers, documented, problem
from api.services.change_feed import recent_changes
from graph.contributions.changes import activity_streams, atom

router = APIRouter(tags=["Linked data"])
ACTIVITY_JSON = "application/activity+json"
ATOM = "application/atom+xml"
OFFERED = [ACTIVITY_JSON, "application/ld+json", "application/json", ATOM]


@router.get(
    "/changes",
    summary="Approved changes, newest first (Activity Streams 2.0 or Atom, with tombstones)",
    response_class=Response,
    responses=documented(
        {
            200: answers("The feed, by Accept", *OFFERED),
            406: problem("Accept names none of the feed's media types"),
        },
        STORE,
    ),
)
async def feed(
    services: Services,
    media_type: Annotated[str, negotiated(*OFFERED)],
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> Response:
    identity = services.identity
    found = await recent_changes(services, limit)
    url = f"{services.settings.base_uri}/changes"
    headers = {"Vary": "Accept"}
    if media_type == ATOM:

        def document(thing: str) -> str:
            ref = identity.parse(thing)
            return identity.document(ref.uri_class, ref.key) if ref else thing

        return Response(atom(found, url, document), media_type=ATOM, headers=headers)
    return JSONResponse(activity_streams(found, url), media_type=media_type, headers=headers)
