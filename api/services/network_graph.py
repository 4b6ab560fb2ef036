"""The collaboration network as nodes and edges: organisations, linked by relationship records (in the
direction they state) and by taking part in the same activity. The nodes are the organisations the list
filters select (``api.services.listing``), so the map and the list of organisations always agree."""

from __future__ import annotations

from typing import Any

from api.dependencies import AppServices
from api.renderers.pages import local_href
from api.services.listing import AGENT, ORGANISATIONS, page_query, parse_filters

EDGES_QUERY = f"""SELECT ?link ?label ?from ?to ?kind WHERE {{
  {{
    ?link eco:fromOrganisation ?from ; eco:toOrganisation ?to ; eco:relationshipKind ?kind .
    ?kind skos:prefLabel ?label FILTER(LANG(?label) = "en")
  }} UNION {{
    ?link a eco:Activity ; {AGENT} ?from, ?to ; skos:prefLabel ?label FILTER(LANG(?label) = "en")
    FILTER(STR(?from) < STR(?to))
    BIND(eco:Activity AS ?kind)
  }}
}}"""


def network(nodes: list[dict[str, Any]], edge_rows: list[dict[str, Any]], base: str) -> dict[str, Any]:
    """Cytoscape.js elements: the nodes given, and every edge whose two ends are among them."""
    ids = {node["iri"] for node in nodes}

    def local(iri: str) -> str:
        return iri[len(base) :] if iri.startswith(base + "/") else iri

    edges = [
        {
            "id": f"{local(row['link'].value)}#{local(row['from'].value)}-{local(row['to'].value)}",
            "source": row["from"].value,
            "target": row["to"].value,
            "label": row["label"].value,
            "href": local(row["link"].value),
            "kind": "shared activity" if row["kind"].value.endswith("/Activity") else "relationship",
        }
        for row in edge_rows
        if row["from"].value in ids and row["to"].value in ids
    ]
    linked = {e["source"] for e in edges} | {e["target"] for e in edges}
    return {
        "nodes": [
            {"id": n["iri"], "label": n["name"], "href": n["href"], "kinds": n["kinds"], "linked": n["iri"] in linked}
            for n in nodes
        ],
        "edges": sorted(edges, key=lambda e: e["id"]),
    }


MAX_NODES = 2000


async def network_elements(
    services: AppServices, area: str | None, place: str | None, kind: str | None
) -> dict[str, Any]:
    """The organisations the filters select (at most :data:`MAX_NODES`) and the links between them, as Cytoscape.js
    elements."""
    base = services.settings.base_uri
    filters = parse_filters(base, ORGANISATIONS, area, place, kind, None, None)
    rows = await services.public.solutions(page_query(ORGANISATIONS, filters, 0, MAX_NODES))
    nodes = [
        {
            "iri": row["item"].value,
            "name": row["label"].value,
            "href": local_href(row["item"].value, base),
            "kinds": row["kinds"].value if "kinds" in row else "",
        }
        for row in rows
    ]
    edges = await services.public.solutions(EDGES_QUERY)
    return network(nodes, edges, base)
