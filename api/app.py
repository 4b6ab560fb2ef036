"""The application factory: one FastAPI app per worker, reaching its store through ``graph.store.protocol``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.middleware.gzip import GZipMiddleware
from swagger_ui_bundle import swagger_ui_path

from api import errors
from api.answers import KeptRoutes, OncePerVersion
from api.dependencies import AppServices
from api.head import HeadAsGet
from api.metrics import QUERY_TIMEOUTS
from api.observability import Observed
from api.response_headers import ResponseHeaders
from api.responses import with_security
from api.routers import (
    changes,
    dataset,
    form,
    gaps,
    guide,
    health,
    history,
    home,
    leads,
    lists,
    lookup,
    named_graphs,
    network,
    personal_requests,
    reconcile,
    resources,
    sparql,
    strategy_map,
    submissions,
    suggestions,
    templates,
    withdrawals,
)
from api.routers.saved_queries import saved_queries_router
from api.services.approval import keep_resuming
from graph.rdf.query_text import prologue
from graph.serving import Supervision
from graph.settings import Endpoint, Settings, SettingsError
from graph.store.interface import Store
from graph.store.protocol import ProtocolStore
from graph.version import bump_update

HERE = Path(__file__).resolve().parent
# Front-end packages installed from the npm registry by `make install`, served from here, never from a CDN.
NODE_MODULES = HERE.parent / "node_modules"


# The headers a script on another site may read: pagination (Link), revalidation (ETag), when to come back
# (Retry-After), where a submission went (Location), the request's id for a report, and the result cap.
EXPOSED = ["Link", "ETag", "Retry-After", "Location", "X-Request-Id", "Ecomap-Result-Cap", "Content-Disposition"]


class EcomapAPI(FastAPI):
    """FastAPI, with readable operation ids (each route's function name: ``sparql_get``, ``document``, not FastAPI's
    ``document_doc__uri_class___key__get``) and the bearer scheme on the operations that take a token."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(generate_unique_id_function=lambda route: route.name, **settings)

    def openapi(self) -> dict[str, Any]:
        if self.openapi_schema is None:
            self.openapi_schema = with_security(super().openapi())
        return self.openapi_schema


def _endpoint(remote: Endpoint | None, served: str | None, variable: str) -> Endpoint:
    """A remote store's endpoints, or those of the Oxigraph server ``ecomap serve`` runs for an embedded one."""
    if remote is not None:
        return remote
    if served:
        return Endpoint.oxigraph(served)
    raise SettingsError(f"{variable} is not set: start the app with `ecomap serve`")


def _protocol_stores(settings: Settings, changes: Supervision | None) -> tuple[Store, Store]:
    """The public and staging stores over the SPARQL 1.1 Protocol. A store that ``ecomap serve`` supervises can be
    restarted to stop a query that overran; a remote one not. Every update to the public store replaces its data
    version in the same request (graph.version)."""
    base = settings.base_uri

    def store(remote: Endpoint | None, served: str | None, variable: str, path: Path) -> ProtocolStore:
        public = path == settings.store_path
        return ProtocolStore(
            _endpoint(remote, served, variable),
            base,
            prologue(base),
            settings.query_timeout_s,
            None if remote else Supervision(path),
            epilogue=partial(bump_update, base) if public else None,
            on_stopped=QUERY_TIMEOUTS.inc,
            on_changed=changes.announce_change if public and changes else None,
        )

    return (
        store(settings.store_endpoint, settings.upstream_url, "ECOMAP_UPSTREAM_URL", settings.store_path),
        store(settings.staging_endpoint, settings.staging_url, "ECOMAP_STAGING_URL", settings.staging_path),
    )


def create_app(settings: Settings | None = None, stores: tuple[Store, Store] | None = None) -> FastAPI:
    """The app over ``stores`` (public and staging), or over the stores the settings name: the Oxigraph servers
    ``ecomap serve`` runs, or remote SPARQL stores."""
    settings = settings or Settings.from_env()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        # Where ecomap serve runs the public store, every change to it is announced in its folder: the data version
        # is read again only then. Stores given (in process) or remote are asked for it each time.
        changes = Supervision(settings.store_path) if stores is None and settings.store_endpoint is None else None
        public, staging = stores or _protocol_stores(settings, changes)
        services = AppServices(settings, public, staging, Jinja2Templates(directory=HERE / "templates"), changes)
        app.state.services = services
        resuming = asyncio.create_task(keep_resuming(services))  # approvals that a dead process left midway
        yield
        resuming.cancel()
        await public.close()
        await staging.close()

    app = EcomapAPI(
        # ecomap's own metrics (/metrics) and request logs observe it. FastAPI's OpenTelemetry, on by default, asks
        # on every request whether a global provider has been configured: 2% of a lookup's CPU in the worker.
        telemetry={"tracing": False, "metrics": False, "logs": False},
        title="ecomap",
        summary="The UK data ecosystem as open linked data: a SPARQL endpoint and dereferenceable URIs.",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    app.add_middleware(OncePerVersion)  # innermost: kept pages still get the headers added around it
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST"],
        allow_headers=["*"],
        expose_headers=EXPOSED,
    )
    # Compressed for clients that accept gzip (a full CONSTRUCT or a page of a list shrinks five- to tenfold), at a
    # level that costs a lookup little CPU; inside HeadAsGet, so that a HEAD has the headers of the GET it stands for.
    # A stream cut off part-way (a stopped or capped query) still ends without its last chunk.
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=5)
    app.add_middleware(ResponseHeaders)  # outside the compression: a gzipped answer's ETag names its encoding
    app.add_middleware(HeadAsGet)  # inside Observed, which logs a HEAD as a HEAD
    app.add_middleware(Observed)
    app.mount("/static/swagger-ui", StaticFiles(directory=swagger_ui_path), name="swagger-ui")
    app.mount("/static/yasgui", StaticFiles(directory=NODE_MODULES / "@zazuko" / "yasgui" / "build"), name="yasgui")
    app.mount("/static/cytoscape", StaticFiles(directory=NODE_MODULES / "cytoscape" / "dist"), name="cytoscape")
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        """The OpenAPI documentation, with Swagger UI served from this app rather than a CDN."""
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="ecomap API",
            swagger_js_url="/static/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url="/static/swagger-ui/swagger-ui.css",
            swagger_favicon_url="/static/swagger-ui/favicon-32x32.png",
        )

    routers = (
        home.router,
        lists.router,
        sparql.router,
        resources.router,
        named_graphs.router,
        dataset.router,
        changes.router,
        history.router,
        health.router,
        templates.router,
        form.router,
        submissions.router,
        withdrawals.router,
        personal_requests.router,
        lookup.router,
        gaps.router,
        network.router,
        strategy_map.router,
        guide.router,
        reconcile.router,
        suggestions.router,
        leads.router,
        saved_queries_router(),
    )
    for router in routers:
        app.include_router(router)
    app.state.kept_routes = KeptRoutes(route for router in routers for route in router.routes)

    errors.install(app)
    return app
