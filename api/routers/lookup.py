"""``/lookup/{identifier}``: from a registry identifier (org-id.guide form, e.g. GB-COH-08030289) or a Wikidata
item (Q123885) straight to the organisation's URI, so a catalogue that knows a number needs no fuzzy matching."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, RedirectResponse, Response

from api.dependencies import Services
from api.errors import JSON_PROBLEMS, ProblemError
from api.renderers.pages import local_href
from api.responses import STORE, answers, documented, problem
from api.services.identifiers import identified

router = APIRouter(tags=["Linked data"], dependencies=[JSON_PROBLEMS])


@router.get(
    "/lookup/{identifier}",
    summary="An organisation by registry identifier (GB-COH-08030289, GB-CHC-207043) or Wikidata item (Q123885)",
    status_code=303,
    response_class=Response,
    responses=documented(
        {
            303: {"description": "See Other: the organisation's URI"},
            300: answers("Several organisations have this identifier (a duplicate to merge)", "application/json"),
            400: problem("Not an identifier in org-id.guide form or a Wikidata item"),
            404: problem("No organisation on the map has this identifier"),
        },
        STORE,
    ),
)
async def lookup(identifier: str, services: Services) -> Response:
    organisations = await identified(services, identifier)
    if organisations is None:
        message = (
            "Give an org-id.guide identifier such as GB-COH-08030289 or GB-CHC-207043, or a Wikidata item Q123885."
        )
        raise ProblemError(400, message)
    base = services.settings.base_uri
    found = sorted(local_href(iri, base) or iri for iri in organisations)
    if not found:
        raise ProblemError(404, f"No organisation on the map has the identifier {identifier}.")
    if len(found) > 1:
        return JSONResponse({"identifier": identifier, "organisations": found}, status_code=300)
    return RedirectResponse(found[0], status_code=303)
