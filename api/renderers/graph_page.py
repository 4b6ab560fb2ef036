"""A named graph as an answer: its HTML page (each statement as subject, property and value), its statements as
RDF, or TriG and N-Quads with its name."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from fastapi import Request
from fastapi.responses import Response

from api import formats
from api.dependencies import AppServices
from api.renderers.document_page import Value, labels_of, serialise, shown
from api.renderers.pages import render
from api.services.named_graphs import NamedGraph
from graph.rdf.formats import in_memory


def graph_response(
    request: Request, services: AppServices, found: NamedGraph, document: str, media_type: str
) -> Response:
    """The graph in ``media_type``: the page, its statements, or (TriG, N-Quads) its statements in it."""
    if media_type == formats.HTML:
        response: Response = render(request, "named_graph.html", graph_page_context(services, found, document))
    elif media_type in formats.DATASETS.values():
        quads = ox.serialize(found.quads(), format=formats.RDF_FORMATS[media_type], prefixes=services.prefixes)
        response = Response(in_memory(quads), media_type=media_type)
    else:
        response = Response(serialise(found.statements, media_type, services), media_type=media_type)
    response.headers["Vary"] = "Accept"
    if found.capped:
        response.headers["Ecomap-Result-Cap"] = f"{len(found.statements)} statements of {found.total}"
    return response


def graph_page_context(services: AppServices, graph: NamedGraph, document: str) -> dict[str, Any]:
    labels = labels_of(graph.statements + graph.description + graph.labels)

    def show(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple) -> Value:
        return shown(term, services, labels)

    def prop(term: ox.NamedNode) -> Value:
        """A property by its prefixed name: a table of statements reads better with one kind of name per column."""
        return shown(term, services, {})

    return {
        "title": f"Named graph {document}",
        "iri": graph.iri,
        "document": document,
        "about": [(prop(t.predicate), show(t.object)) for t in graph.description],
        "rows": [(show(t.subject), prop(t.predicate), show(t.object)) for t in graph.statements],
        "total": graph.total,
        "capped": graph.capped,
    }
