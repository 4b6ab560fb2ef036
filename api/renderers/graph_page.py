"""Turning a named graph into what its HTML page shows: each statement as subject, property and value."""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox

from api.dependencies import AppServices
from api.renderers.document_page import Value, labels_of, shown
from api.services.named_graphs import NamedGraph


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
