"""For operators and supervisors: is the process up, and can it reach both of its stores."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.dependencies import Services
from api.metrics import metrics_text
from api.responses import answers, documented
from api.services import operations

router = APIRouter(tags=["Operations"])


@router.get("/healthz", summary="The web process is running")
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"})


@router.get(
    "/metrics",
    summary="Prometheus metrics: requests and latency by route, query timeouts, kept answers, submissions by status",
    response_class=PlainTextResponse,
)
async def metrics(services: Services) -> Response:
    body = metrics_text()
    counts = await operations.submission_counts(services)
    lines = ["# HELP ecomap_submissions Submissions in the staging store, by status", "# TYPE ecomap_submissions gauge"]
    lines += [f'ecomap_submissions{{status="{status}"}} {count}' for status, count in counts.items()]
    return Response(body + ("\n".join(lines) + "\n").encode(), media_type=CONTENT_TYPE_LATEST)


@router.get(
    "/readyz",
    summary="Both stores answer: 200, or 503 with Retry-After",
    responses=documented({503: answers("A store is not answering: the body says which", "application/json")}),
)
async def readyz(services: Services) -> JSONResponse:
    stores = await operations.stores_ready(services)
    body = {
        "status": "ok" if all(stores.values()) else "unavailable",
        "stores": {k: "ok" if v else "unavailable" for k, v in stores.items()},
    }
    return JSONResponse(
        body,
        status_code=200 if all(stores.values()) else 503,
        headers={} if all(stores.values()) else {"Retry-After": "5"},
    )
