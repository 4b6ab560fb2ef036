"""For operators and supervisors: is the process up, and can it reach both of its stores."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from api.dependencies import Services

router = APIRouter(tags=["Operations"])


@router.get("/healthz", summary="The web process is running")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get("/readyz", summary="Both stores answer: 200, or 503 with Retry-After")
async def readyz(services: Services) -> JSONResponse:
    stores = {"public": await services.upstream.ready(), "staging": await services.staging.ready()}
    body = {
        "status": "ok" if all(stores.values()) else "unavailable",
        "stores": {k: "ok" if v else "unavailable" for k, v in stores.items()},
    }
    return JSONResponse(
        body,
        status_code=200 if all(stores.values()) else 503,
        headers={} if all(stores.values()) else {"Retry-After": "5"},
    )
