"""Server-rendered HTML: Jinja2 templates with autoescaping, and links kept on the host that was asked."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    services = request.app.state.services
    return services.templates.TemplateResponse(
        request, template, {"base": services.settings.base_uri, **context}, status_code=status
    )


def local_href(iri: str, base: str) -> str | None:
    """A link to one of ecomap's IRIs stays on this server (a local copy of a deployed map keeps working);
    other http(s) IRIs link out; anything else (``javascript:``, ``mailto:``, ``urn:``) is not linked."""
    if iri.startswith(base + "/"):
        return iri[len(base) :]
    return iri if iri.lower().startswith(("http://", "https://")) else None


def json_script(data: object) -> Markup:
    """JSON safe to embed in a ``<script>`` element: no ``</script>`` or ``<!--`` can close it early."""
    text = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return Markup(text)
