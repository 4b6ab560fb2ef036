"""The strategy map: how the National Data Strategy (its missions and pillars, and the Mission 1 framework's
priority areas and principles) meets the National AI Strategy's pillars, through the organisations whose
activities support both (``queries/strategy-meeting-points.rq``)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from api.answers import kept_get
from api.dependencies import Services
from api.renderers.pages import local_href, render
from api.responses import PAGE
from api.services.coverage import Cell
from api.services.strategies import strategy_rows

router = APIRouter(tags=["Gap analysis"])


@kept_get(
    router,
    "/strategy-map",
    "How the NDS's missions, pillars and priority areas meet the National AI Strategy's pillars",
    PAGE,
)
async def strategy_map(request: Request, services: Services) -> Response:
    found = await strategy_rows(services)
    support_rows, meeting_rows = found.support, found.meetings
    base = services.settings.base_uri
    concepts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in support_rows:
        concepts[row["scheme"].value].append(
            {
                "label": row["label"].value,
                "href": local_href(row["concept"].value, base),
                "activities": int(row["activities"].value),
                "organisations": int(row["organisations"].value),
            }
        )
    strategies: dict[str, dict[str, Any]] = {}
    for row in found.strategies:
        iri = row["strategy"].value
        entry = strategies.setdefault(
            iri,
            {
                "label": row["label"].value,
                "href": local_href(iri, base),
                "page": row["page"].value if "page" in row else None,
                "part_of": local_href(row["part_of"].value, base) if "part_of" in row else None,
                "schemes": [],
            },
        )
        if "scheme" in row:
            scheme = row["scheme"].value
            entry["schemes"].append(
                {"label": row["scheme_label"].value, "href": local_href(scheme, base), "concepts": concepts[scheme]}
            )
    pillars = list(dict.fromkeys((r["ai_concept"].value, r["ai_label"].value) for r in meeting_rows))
    rows: dict[str, dict[str, Any]] = {}
    highest = max((int(r["organisations"].value) for r in meeting_rows), default=0)
    for r in meeting_rows:
        concept = r["nds_concept"].value
        entry = rows.setdefault(
            concept, {"label": r["nds_label"].value, "href": local_href(concept, base), "cells": []}
        )
        cell = Cell(int(r["organisations"].value), 0, collected=True)
        entry["cells"].append({"count": cell.organisations, "level": cell.level(highest)})
    context = {
        "title": "Strategy map",
        "strategies": list(strategies.values()),
        "pillars": [{"label": label, "href": local_href(iri, base)} for iri, label in pillars],
        "rows": list(rows.values()),
        "meetings": sum(c["count"] for r in rows.values() for c in r["cells"]),
    }
    return render(request, "strategy_map.html", context)
